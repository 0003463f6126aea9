import type { Consumer } from 'kafkajs';
import { Gauge, type Registry } from 'prom-client';

/**
 * `ledger_kafka_consumer_lag_messages{topic,partition}`: messages behind the partition's high
 * watermark, from kafkajs's batch events (no broker round trip): set from the batch's start when
 * it begins and from its end when it is processed. A batch held up (the database down) keeps the
 * value it started with; the pending-age gauges tell that story. Partitions are forgotten on a
 * rebalance, so a partition now consumed elsewhere does not linger here.
 */
export function instrumentConsumerLag(consumer: Consumer, registry: Registry): void {
  const lag = new Gauge({
    name: 'ledger_kafka_consumer_lag_messages',
    help: 'Messages between the last one processed and the high watermark, per topic and partition',
    labelNames: ['topic', 'partition'] as const,
    registers: [registry],
  });
  consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
    // offsetLagLow: from the batch's first message, none of the batch processed yet.
    lag.set({ topic: payload.topic, partition: payload.partition }, Number(payload.offsetLagLow) + 1);
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    lag.set({ topic: payload.topic, partition: payload.partition }, Number(payload.offsetLag));
  });
  consumer.on(consumer.events.GROUP_JOIN, () => lag.reset());
}
