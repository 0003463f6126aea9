import path from 'node:path';
import { faultStack, ROOT, type FaultStack } from './support/fault-stack';
import { runScenario } from './support/scenario';

/**
 * The production topology: three Kafka brokers (KRaft, combined mode), topics replicated three
 * times with min.insync.replicas 2, on ports of their own; PostgreSQL and Redis are the suite's.
 * Losing one broker must not be an outage at all.
 */
describe('a three-broker Kafka cluster', () => {
  let cluster: FaultStack;
  let connection: Record<string, string>;
  beforeAll(async () => {
    const shared = await faultStack().connection();
    cluster = faultStack(
      {
        LEDGER_DATA_DIR: path.join(ROOT, '.data/faults/cluster'),
        LEDGER_KAFKA_NODES: '3',
        LEDGER_KAFKA_PORT: process.env.FAULTS_CLUSTER_KAFKA_PORT ?? '29192',
        LEDGER_KAFKA_CONTROLLER_PORT: process.env.FAULTS_CLUSTER_KAFKA_CONTROLLER_PORT ?? '29193',
        DATABASE_URL: shared.DATABASE_URL!,
        REDIS_URL: shared.REDIS_URL!,
      },
      ['DATABASE_URL', 'REDIS_URL'],
    );
    await cluster.up();
    connection = await cluster.connection();
  });
  afterAll(() => cluster?.down());

  it('when one broker is killed (-9) under load, submissions go on being accepted and nothing is lost', async () => {
    const { violations } = await runScenario({
      name: 'kafka-cluster-broker-kill',
      stack: cluster,
      connection,
      serviceEnv: { KAFKA_REPLICATION_FACTOR: '3' },
      // Not an outage: no client should notice.
      allowedAnswers: [],
      async fault({ stack }) {
        const faultAt = Date.now();
        await stack.crash('kafka:1');
        return { faultAt, restoredAt: faultAt };
      },
      // The controller fences a killed node after 3 s without heartbeats (stack.sh; Kafka's
      // default is 9 s, which stalled the partitions it led for ≈ 10 s): measured 3.3-10 s at
      // worst over six runs (most under 5 s; 10 s once, in a fresh-clone CI run).
      bounds: { recovery_s: 10, answer_during_fault_s: 5, stall_s: 15 },
      // Events not at the receiver are lost ones, not late ones: once in a few runs a few never
      // came, which was kafkajs's send dropping partitions whose leader moved mid-send
      // (tulios/kafkajs#1303, patched: platform/kafkajs-patch.test.ts). Waited for 60 s.
      webhook_timeout_ms: 60_000,
    });
    expect(violations).toEqual([]);
  });
});
