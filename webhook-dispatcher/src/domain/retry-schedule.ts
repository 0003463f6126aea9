/**
 * When to try a webhook again: a fixed schedule of delays (the delay before each attempt of a
 * round, the first usually 0), each stretched or shrunk by a random jitter, never earlier than
 * the receiver asked with Retry-After (within a bound). Plain functions over plain numbers.
 */
export interface RetryPolicy {
  /** Delay before attempt i of a round, ms; its length is the number of attempts. */
  readonly delays_ms: readonly number[];
  /** 0.2 spreads each delay uniformly over [0.8, 1.2] of itself. */
  readonly jitter_ratio: number;
  /** A Retry-After beyond this is capped to it, ms. */
  readonly retry_after_max_ms: number;
}

/** At once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

export const RETRY_ATTEMPTS_MAX = 50;

/** A uniform random number in [0, 1), injectable so tests can pin it. */
export type Random = () => number;

/** `delay` moved uniformly within ±ratio of itself, in whole ms. */
export function withJitter(delay_ms: number, ratio: number, random: Random): number {
  if (!(ratio >= 0 && ratio < 1)) throw new RangeError(`jitter ratio must be in [0, 1), got ${ratio}`);
  return Math.round(delay_ms * (1 + ratio * (2 * random() - 1)));
}

/**
 * The delay before the attempt at `nextIndex` of a round (after the one at nextIndex - 1
 * failed), or undefined when the schedule has no such attempt (the message has failed).
 * @param retryAfter_ms what the receiver asked for, already parsed; honoured within the bound
 */
export function delayBeforeAttempt(
  policy: RetryPolicy,
  nextIndex: number,
  random: Random,
  retryAfter_ms?: number,
): number | undefined {
  const base = policy.delays_ms[nextIndex];
  if (base === undefined) return undefined;
  const scheduled = withJitter(base, policy.jitter_ratio, random);
  if (retryAfter_ms === undefined) return scheduled;
  return Math.max(scheduled, Math.min(retryAfter_ms, policy.retry_after_max_ms));
}

/**
 * A Retry-After header (delay-seconds or an HTTP-date) as ms from now, or undefined when absent
 * or unreadable. A date in the past means "now" (0).
 */
export function parseRetryAfter(header: string | undefined, now: Date): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (/^\d{1,10}$/.test(value)) return Number(value) * 1000;
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
