import type { Producer } from 'kafkajs';
import { createCommandPublisher } from './command-publisher';

/** A producer double recording the batches it was asked to send; each send settles on demand. */
function recordingProducer() {
  const sends: Array<{ size: number; settle: (error?: Error) => void }> = [];
  const producer = {
    send: ({ messages }: { messages: unknown[] }) =>
      new Promise<void>((resolve, reject) =>
        sends.push({ size: messages.length, settle: (error) => (error ? reject(error) : resolve()) }),
      ),
  } as unknown as Producer;
  return { producer, sends };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('publishing commands with natural batching', () => {
  it('sends at once when idle, and groups what arrives while a send is in flight', async () => {
    const { producer, sends } = recordingProducer();
    const publisher = createCommandPublisher({ producer, topic: 't', lingerMs: 0, batchSizeMax: 100 });
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
    const { producer, sends } = recordingProducer();
    const publisher = createCommandPublisher({ producer, topic: 't', lingerMs: 0, batchSizeMax: 100 });
    const failed = publisher.publish({ value: 'a' });
    await tick();
    sends[0]!.settle(new Error('broker down'));
    await expect(failed).rejects.toThrow('broker down');
    const ok = publisher.publish({ value: 'b' });
    await tick();
    sends[1]!.settle();
    await expect(ok).resolves.toBeUndefined();
  });
});
