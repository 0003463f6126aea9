import { createTickBatcher } from './tick-batcher';

const tick = () => new Promise((r) => setImmediate(r));

describe('batching by turn of the event loop', () => {
  it('sends what one turn submitted in one call, without waiting for the call in flight', async () => {
    const batches: number[][] = [];
    const releases: Array<() => void> = [];
    const batcher = createTickBatcher<number, number>(
      async (items) => {
        batches.push(items);
        await new Promise<void>((r) => releases.push(r));
        return items.map((x) => x * 10);
      },
      { batchSizeMax: 10 },
    );
    const first = [batcher.submit(1), batcher.submit(2)];
    await tick();
    const second = [batcher.submit(3)];
    await tick();
    // The first call has not returned, and the second has left anyway.
    expect(batches).toEqual([[1, 2], [3]]);
    releases.forEach((release) => release());
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30]);
  });

  it('never puts more than batchSizeMax items in one call, and fails only the callers of a failed call', async () => {
    const batcher = createTickBatcher<number, number>(
      async (items) => {
        if (items.includes(4)) throw new Error('down');
        return items;
      },
      { batchSizeMax: 3 },
    );
    const results = await Promise.allSettled(Array.from({ length: 7 }, (_, i) => batcher.submit(i)));
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
  });
});
