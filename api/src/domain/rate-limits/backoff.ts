import { backoffCeiling_ms, backoffDelay, type BackoffPolicy } from '../../../../platform/retry';

/**
 * Retry-After for a refused request, in whole seconds (at least 1): the time until a request
 * would pass again, plus an exponential backoff with full jitter (platform/retry.ts's
 * backoffDelay: uniform between 0 and the ceiling). The ceiling doubles from `base_ms` to
 * `max_ms` as the pressure grows, pressure being how far the client's attempts went from the soft
 * limit toward the hard one (0..1): it grows while the client keeps pushing and shrinks as its
 * refused attempts drain once it behaves. Nothing waits on the server: the client is told, and
 * the connection freed at once.
 */
export function retryAfterSeconds(
  refusal: { wait_ms: number; pressure: number },
  backoff: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const jitter_ms = backoffDelay(pressureStep(refusal.pressure, backoff), backoff, random);
  return Math.max(1, Math.ceil((refusal.wait_ms + jitter_ms) / 1_000));
}

/** The full-jitter ceiling for a pressure: base × 2^k, k rising evenly with the pressure, capped at max. */
export function backoffCeilingForPressure_ms(pressure: number, backoff: BackoffPolicy): number {
  return backoffCeiling_ms(pressureStep(pressure, backoff), backoff);
}

/**
 * The backoff attempt a pressure stands for: 0 at no pressure, rising evenly to the first step
 * whose ceiling reaches max_ms at full pressure.
 */
function pressureStep(pressure: number, backoff: BackoffPolicy): number {
  const steps = Math.max(0, Math.ceil(Math.log2(backoff.max_ms / backoff.base_ms)));
  return Math.min(steps, Math.floor(Math.max(0, pressure) * (steps + 1)));
}
