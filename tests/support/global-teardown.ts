import { createKafka } from '../../platform/kafka';
import { createLogger } from '../../platform/logger';
import { createPool } from '../../platform/postgres';

/**
 * Deletes the Kafka topics this run's test files made (see TEST_TOPIC_RUN in global-setup.ts),
 * once every file is done. Not earlier, file by file: the files share one database and so one
 * outbox relay, and a kafkajs producer that ever sent to a topic asks for that topic's metadata
 * at every refresh; once the topic is deleted each refresh fails ("This server does not host
 * this topic-partition") and that producer can send nothing more. The relay leader, and the
 * dead letters it shares a producer with, stalled for every other file that way. A topic that
 * events still wait for in the outbox is kept: a relay of a later run would stall on them.
 */
export default async function globalTeardown(): Promise<void> {
  const run = process.env.TEST_TOPIC_RUN;
  if (!run || !process.env.KAFKA_BROKERS || !process.env.DATABASE_URL) return;
  const pool = createPool({ url: process.env.DATABASE_URL, max: 1, applicationName: 'test-teardown' });
  const waiting = await pool
    .query<{ topic: string }>('SELECT DISTINCT topic FROM outbox_batches WHERE starts_with(topic, $1)', [run])
    .then((r) => new Set(r.rows.map((row) => row.topic)))
    .finally(() => pool.end());
  const kafka = createKafka({
    brokers: process.env.KAFKA_BROKERS.split(','),
    clientId: 'test-teardown',
    logger: createLogger({ service: 'test-teardown', level: 'warn', pretty: false }),
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const mine = (await admin.listTopics()).filter(
      (t) => t.startsWith(run) && ![...waiting].some((w) => w.startsWith(t.slice(0, t.indexOf('.') + 1))),
    );
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  } catch (error) {
    console.warn(`could not delete this run's topics: ${(error as Error).message}`);
  } finally {
    await admin.disconnect();
  }
}
