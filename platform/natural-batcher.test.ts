import { createNaturalBatcher } from './natural-batcher';

const tick = () => new Promise((r) => setImmediate(r));

describe('natural batching', () => {
  it('answers each caller with its own output, in order, for a batch gathered while another ran', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const batcher = createNaturalBatcher<number, number>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await new Promise<void>((r) => (release = r));
        return items.map((x) => x * 10);
      },
      { batchSizeMax: 10, linger_ms: 0 },
    );
    const first = batcher.submit(1);
    await tick();
    const later = [batcher.submit(2), batcher.submit(3), batcher.submit(4)];
    release();
    expect(await first).toBe(10);
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('never puts more than batchSizeMax items in one batch', async () => {
    const sizes: number[] = [];
    const batcher = createNaturalBatcher<number, number>(
      async (items) => {
        sizes.push(items.length);
        return items;
      },
      { batchSizeMax: 3, linger_ms: 0 },
    );
    await Promise.all(Array.from({ length: 8 }, (_, i) => batcher.submit(i)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(8);
  });
});
