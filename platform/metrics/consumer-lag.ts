import type { Consumer } from 'kafkajs';
import { Gauge, type Registry } from 'prom-client';

/**
 * `ledger_kafka_consumer_lag_messages{topic,partition}`: messages behind the partition's high
 * watermark, from kafkajs's batch events (no broker round trip): set from the batch's start when
 * it begins and from its end when it is processed. A batch held up (the database down, a hung
 * call) keeps the value it started with, so the lag alone cannot tell a stalled consumer from a
 * steady one: `ledger_kafka_consumer_last_batch_timestamp_seconds{topic,partition}` is when the
 * partition last finished a batch here (or was assigned here), and a lag above 0 with that time
 * minutes old is a consumer that does not move. Partitions are forgotten on a rebalance, so a
 * partition now consumed elsewhere does not linger here.
 */
export function instrumentConsumerLag(consumer: Consumer, registry: Registry): void {
  const labelNames = ['topic', 'partition'] as const;
  const lag = new Gauge({
    name: 'ledger_kafka_consumer_lag_messages',
    help: 'Messages between the last one processed and the high watermark, per topic and partition',
    labelNames,
    registers: [registry],
  });
  const lastBatch = new Gauge({
    name: 'ledger_kafka_consumer_last_batch_timestamp_seconds',
    help: 'Unix time this instance last finished processing a batch of the partition (or was assigned it)',
    labelNames,
    registers: [registry],
  });
  consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
    // offsetLagLow: from the batch's first message, none of the batch processed yet.
    lag.set({ topic: payload.topic, partition: payload.partition }, Number(payload.offsetLagLow) + 1);
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const labels = { topic: payload.topic, partition: payload.partition };
    lag.set(labels, Number(payload.offsetLag));
    lastBatch.set(labels, Date.now() / 1000);
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    lag.reset();
    lastBatch.reset();
    // Assigned counts as progress: a consumer that hangs on its very first batch goes stale too.
    const now = Date.now() / 1000;
    for (const [topic, partitions] of Object.entries(payload.memberAssignment))
      for (const partition of partitions) lastBatch.set({ topic, partition }, now);
  });
}
