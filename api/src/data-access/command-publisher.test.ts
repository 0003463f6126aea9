import type { Producer } from 'kafkajs';
import { createLogger } from '../../../platform/logger';
import { TimeoutError } from '../../../platform/retry';
import { createCommandPublisher, PublisherUnavailableError } from './command-publisher';

/** Producer doubles recording the batches each was asked to send; each send settles on demand. */
function recordingProducers() {
  const sends: Array<{ producer: number; size: number; settle: (error?: Error) => void }> = [];
  let made = 0;
  const disconnected: number[] = [];
  const createProducer = () => {
    const n = made++;
    return {
      connect: async () => undefined,
      disconnect: async () => void disconnected.push(n),
      send: ({ messages }: { messages: unknown[] }) =>
        new Promise<void>((resolve, reject) =>
          sends.push({ producer: n, size: messages.length, settle: (e) => (e ? reject(e) : resolve()) }),
        ),
    } as unknown as Producer;
  };
  return { createProducer, sends, disconnected, made: () => made };
}

const tick = () => new Promise((r) => setImmediate(r));
const logger = createLogger({ service: 'test', level: 'silent', pretty: false });
const options = { topic: 't', linger_ms: 0, batchSizeMax: 100, timeout_ms: 60_000, logger };

describe('publishing commands with natural batching', () => {
  it('sends at once when idle, and groups what arrives while a send is in flight', async () => {
    const { createProducer, sends } = recordingProducers();
    const publisher = createCommandPublisher({ ...options, createProducer });
    const first = publisher.publish({ value: 'a' });
    await tick();
    expect(sends.map((s) => s.size)).toEqual([1]);
    const later = [publisher.publish({ value: 'b' }), publisher.publish({ value: 'c' })];
    await tick();
    expect(sends).toHaveLength(1); // still waiting for the first send
    sends[0]!.settle();
    await first;
    await tick();
    await tick();
    expect(sends.map((s) => s.size)).toEqual([1, 2]);
    sends[1]!.settle();
    await Promise.all(later);
  });

  it('rejects exactly the callers whose batch failed', async () => {
    const { createProducer, sends } = recordingProducers();
    const publisher = createCommandPublisher({ ...options, createProducer });
    const failed = publisher.publish({ value: 'a' });
    await tick();
    sends[0]!.settle(new Error('broker down'));
    await expect(failed).rejects.toThrow('broker down');
    const probe = publisher.probe([{ value: 'b' }]);
    await tick();
    sends[1]!.settle();
    await expect(probe).resolves.toBeUndefined();
  });
});

describe('publishing while Kafka is unreachable', () => {
  it('stops waiting after the timeout, and then fails at once without touching Kafka', async () => {
    const { createProducer, sends, disconnected } = recordingProducers();
    const publisher = createCommandPublisher({ ...options, timeout_ms: 50, createProducer });
    const started = Date.now();
    await expect(publisher.publish({ value: 'a' })).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(publisher.available).toBe(false);
    // The producer stuck in its request is dropped; the next send starts a fresh one.
    expect(disconnected).toEqual([0]);

    await expect(publisher.publish({ value: 'b' })).rejects.toBeInstanceOf(PublisherUnavailableError);
    expect(sends).toHaveLength(1);
  });

  it('becomes available again on the first probe that gets through, and says so', async () => {
    const { createProducer, sends } = recordingProducers();
    const publisher = createCommandPublisher({ ...options, timeout_ms: 50, createProducer });
    let recovered = 0;
    publisher.onRecovered(() => recovered++);
    await expect(publisher.publish({ value: 'a' })).rejects.toBeInstanceOf(TimeoutError);
    // The dropped producer's request ends too (by its own timeout, or here at once, whichever
    // comes first on a loaded machine): nothing is left in flight for the next message to wait for.
    sends[0]!.settle(new Error('connection closed'));

    const probe = publisher.probe([{ value: 'a' }]);
    await tick();
    expect(sends[1]).toMatchObject({ producer: 1, size: 1 });
    sends[1]!.settle();
    await probe;
    expect(publisher.available).toBe(true);
    expect(recovered).toBe(1);
    const next = publisher.publish({ value: 'c' });
    await tick();
    sends[2]!.settle();
    await expect(next).resolves.toBeUndefined();
  });
});

describe('the publish timeout', () => {
  it('bounds the wait from the caller, also for a message queued behind a batch in flight', async () => {
    const { createProducer, sends } = recordingProducers();
    const publisher = createCommandPublisher({ ...options, timeout_ms: 100, createProducer });
    const first = publisher.publish({ value: 'a' });
    await new Promise((resolve) => setTimeout(resolve, 60));
    const queued = publisher.publish({ value: 'b' }); // waits for the first batch's send
    await expect(first).rejects.toBeInstanceOf(TimeoutError);
    // The first batch's timeout made the publisher unavailable: the queued message is left to the
    // sweeper at once, not sent in a batch of its own that would time out in turn.
    await expect(queued).rejects.toBeInstanceOf(PublisherUnavailableError);
    expect(sends).toHaveLength(1);
  });

  it('stays available when a producer already dropped fails late, after a probe through its successor got through', async () => {
    const { createProducer, sends } = recordingProducers();
    const publisher = createCommandPublisher({ ...options, createProducer });
    const stuck = publisher.publish({ value: 'a' });
    await tick();
    const failing = publisher.probe([{ value: 'b' }]);
    await tick();
    sends[1]!.settle(new Error('broker down'));
    await expect(failing).rejects.toThrow('broker down');
    expect(publisher.available).toBe(false);
    const probe = publisher.probe([{ value: 'b' }]);
    await tick();
    sends[2]!.settle();
    await probe;
    expect(publisher.available).toBe(true);
    // The first producer's batch, still in flight all along, fails now.
    sends[0]!.settle(new Error('request timed out on the dead connection'));
    await expect(stuck).rejects.toThrow('request timed out');
    expect(publisher.available).toBe(true);
    const next = publisher.publish({ value: 'c' });
    await tick();
    expect(sends[3]).toMatchObject({ producer: 1, size: 1 });
    sends[3]!.settle();
    await expect(next).resolves.toBeUndefined();
  });
});
