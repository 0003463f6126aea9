/**
 * Retry-After for a refused request, in whole seconds (at least 1): the time until a request
 * would pass again, plus an exponential backoff with full jitter (uniform between 0 and the
 * ceiling). The ceiling doubles from `base_ms` to `max_ms` as the pressure grows, pressure being
 * how far the client's attempts went from the soft limit toward the hard one (0..1): it grows
 * while the client keeps pushing and shrinks as its refused attempts drain once it behaves.
 * Nothing waits on the server: the client is told, and the connection freed at once.
 */
export function retryAfterSeconds(
  refusal: { wait_ms: number; pressure: number },
  backoff: { base_ms: number; max_ms: number },
  random: () => number = Math.random,
): number {
  return Math.max(
    1,
    Math.ceil((refusal.wait_ms + random() * backoffCeilingMs(refusal.pressure, backoff)) / 1_000),
  );
}

/** The full-jitter ceiling for a pressure: base × 2^k, k rising evenly with the pressure, capped at max. */
export function backoffCeilingMs(pressure: number, backoff: { base_ms: number; max_ms: number }): number {
  const steps = Math.max(0, Math.ceil(Math.log2(backoff.max_ms / backoff.base_ms)));
  const exponent = Math.min(steps, Math.floor(Math.max(0, pressure) * (steps + 1)));
  return Math.min(backoff.max_ms, backoff.base_ms * 2 ** exponent);
}
