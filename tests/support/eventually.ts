/**
 * The tests' one way to wait for something that happens in the background: polls `probe` until
 * it yields a value (anything but undefined or false) and returns it; fails after timeout_ms,
 * naming what it waited for. Never a fixed sleep: a condition that holds early ends the wait early.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeout_ms = 10_000,
  every_ms = 25,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not met within ${timeout_ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, every_ms));
  }
}
