// kafkajs 2.2.4 is its last release; patches/kafkajs+2.2.4.patch (applied by patch-package on
// install) fixes two of its bugs, and these tests fail when an install did not apply it:
// - a 1 ms timer loop per broker connection whenever nothing was queued (≈ 50 ms of CPU per second
//   per idle process here, and TimeoutNegativeWarning on Node 24);
// - a send that lost messages without an error when a broker died mid-send (tulios/kafkajs#1303):
//   seen as webhook events never delivered after one broker of three was killed.

// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module, without types
const RequestQueue = require('kafkajs/src/network/requestQueue') as new (options: object) => {
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  scheduleCheckPendingRequests(): void;
  destroy(): void;
};

const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe('kafkajs request queue (patched)', () => {
  const queue = () =>
    new RequestQueue({
      maxInFlightRequests: null,
      requestTimeout: 30_000,
      enforceRequestTimeout: false,
      clientId: 'test',
      broker: '127.0.0.1:0',
      logger,
    });

  it('schedules no check while nothing is queued or throttled', () => {
    const q = queue();
    q.scheduleCheckPendingRequests();
    const scheduled = q.throttleCheckTimeoutId;
    if (scheduled) clearTimeout(scheduled); // unpatched, it would re-arm itself forever
    q.destroy();
    expect(scheduled).toBeNull();
  });

  it('still schedules a check for a queued request', () => {
    const q = queue();
    q.pending.push({});
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(q.throttleCheckTimeoutId!);
    q.pending.length = 0;
    q.destroy();
  });
});

// eslint-disable-next-line @typescript-eslint/no-require-imports -- internal modules, without types
const createSendMessages = require('kafkajs/src/producer/sendMessages') as (
  deps: object,
) => (request: {
  acks: number;
  timeout: number;
  topicMessages: Array<{ topic: string; messages: Array<{ partition: number; value: string }> }>;
}) => Promise<Array<{ topicName: string; partition: number }>>;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- internal modules, without types
const createRetry = require('kafkajs/src/retry') as (options: object) => unknown;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- internal modules, without types
const { KafkaJSConnectionError } = require('kafkajs/src/errors') as {
  KafkaJSConnectionError: new (message: string) => Error;
};

describe('kafkajs producer send (patched, tulios/kafkajs#1303)', () => {
  it('sends a partition again to its new leader even when that broker already answered for its own partitions', async () => {
    // Partition 0 is led by broker 1, which dies mid-send; partition 1 by broker 2, which answers.
    // The refreshed metadata then names broker 2 as partition 0's leader.
    const leaderOf: Record<number, number> = { 0: 1, 1: 2 };
    const produced: Array<{ broker: number; partitions: number[] }> = [];
    const broker = (nodeId: number) => ({
      nodeId,
      async produce({
        topicData,
      }: {
        topicData: Array<{ topic: string; partitions: Array<{ partition: number }> }>;
      }) {
        const partitions = topicData.flatMap((t) => t.partitions.map((p) => p.partition));
        produced.push({ broker: nodeId, partitions });
        if (nodeId === 1) throw new KafkaJSConnectionError('Connection error: broker 1 is gone');
        return {
          topics: topicData.map((t) => ({
            topicName: t.topic,
            partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })),
          })),
        };
      },
    });
    const brokers: Record<string, ReturnType<typeof broker>> = { 1: broker(1), 2: broker(2) };
    const cluster = {
      targetTopics: new Set<string>(),
      refreshMetadataIfNecessary: async () => {},
      refreshMetadata: async () => {
        leaderOf[0] = 2;
      },
      addMultipleTargetTopics: async () => {},
      isConnected: () => true,
      removeBroker: () => {},
      findTopicPartitionMetadata: () => [0, 1].map((p) => ({ partitionId: p, leader: leaderOf[p] })),
      findLeaderForPartitions: (_topic: string, partitions: string[]) => {
        const byLeader: Record<string, number[]> = {};
        for (const p of partitions) (byLeader[leaderOf[Number(p)]!] ??= []).push(Number(p));
        return byLeader;
      },
      findBroker: async ({ nodeId }: { nodeId: string }) => brokers[nodeId],
    };
    const eosManager = {
      acquireBrokerLock: async () => {},
      releaseBrokerLock: async () => {},
      isTransactional: () => false,
      getSequence: () => 0,
      updateSequence: () => {},
      getProducerId: () => -1,
      getProducerEpoch: () => 0,
    };
    const send = createSendMessages({
      logger,
      cluster,
      eosManager,
      partitioner: ({ message }: { message: { partition: number } }) => message.partition,
      retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
    });

    const acked = await send({
      acks: -1,
      timeout: 1_000,
      topicMessages: [
        {
          topic: 't',
          messages: [
            { partition: 0, value: 'a' },
            { partition: 1, value: 'b' },
          ],
        },
      ],
    });

    // Released, the retry skipped broker 2 (it had answered) and resolved without partition 0.
    expect(produced).toContainEqual({ broker: 2, partitions: [0] });
    expect(acked.map((r) => r.partition).sort()).toEqual([0, 1]);
    // Partition 1 was acknowledged once and is not sent again.
    expect(produced.filter((p) => p.partitions.includes(1))).toHaveLength(1);
  });
});
