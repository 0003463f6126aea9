/**
 * Batching by turn of the event loop: every item submitted in one turn leaves in one call of
 * `run` (at most `batchSizeMax` per call) as soon as the turn ends, whatever is in flight. Unlike
 * natural batching (natural-batcher.ts) nothing waits for an earlier call to return: for work whose
 * latency holds up everything behind it, where one more call in flight is cheap. `run` answers one
 * output per item, in order; if it throws, every caller of that call gets the error.
 */
export function createTickBatcher<I, O>(
  run: (items: I[]) => Promise<O[]>,
  options: { batchSizeMax: number },
) {
  let queue: Array<{ item: I; resolve: (output: O) => void; reject: (error: unknown) => void }> = [];

  const flush = (): void => {
    const items = queue;
    queue = [];
    for (let start = 0; start < items.length; start += options.batchSizeMax) {
      const batch = items.slice(start, start + options.batchSizeMax);
      let call: Promise<O[]>;
      try {
        call = run(batch.map((w) => w.item));
      } catch (error) {
        call = Promise.reject(error);
      }
      call.then(
        (outputs) => batch.forEach((w, i) => w.resolve(outputs[i]!)),
        (error: unknown) => batch.forEach((w) => w.reject(error)),
      );
    }
  };

  return {
    submit(item: I): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        if (queue.length === 0) setImmediate(flush);
        queue.push({ item, resolve, reject });
      });
    },
  };
}
