interface Waiting<I, O> {
  item: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Natural batching: when nothing is in flight an item goes at once (with whatever arrived in the
 * same tick); while a batch is in flight, items queue and leave together when it returns. Under
 * load batches grow by themselves, idle latency stays minimal. `run` answers one output per item,
 * in order; if it throws, every caller of that batch gets the error.
 */
export function createNaturalBatcher<I, O>(
  run: (items: I[]) => Promise<O[]>,
  options: { batchSizeMax: number; linger_ms: number },
) {
  const queue: Array<Waiting<I, O>> = [];
  let inFlight: Promise<void> | undefined;
  let scheduled = false;

  const next = (): void => {
    scheduled = false;
    if (inFlight || queue.length === 0) return;
    const batch = queue.splice(0, options.batchSizeMax);
    inFlight = run(batch.map((w) => w.item))
      .then(
        (outputs) => batch.forEach((w, i) => w.resolve(outputs[i]!)),
        (error: unknown) => batch.forEach((w) => w.reject(error)),
      )
      .finally(() => {
        inFlight = undefined;
        if (queue.length > 0) schedule(queue.length >= options.batchSizeMax ? 0 : options.linger_ms);
      });
  };

  const schedule = (delay_ms: number): void => {
    if (scheduled) return;
    scheduled = true;
    if (delay_ms === 0) setImmediate(next);
    else setTimeout(next, delay_ms);
  };

  return {
    submit(item: I): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (!inFlight) schedule(0);
      });
    },
    /** Runs what is queued and waits for it. */
    async drain(): Promise<void> {
      while (inFlight || queue.length > 0) {
        if (!inFlight) next();
        await inFlight;
      }
    },
  };
}
