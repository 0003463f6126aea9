import fc from 'fast-check';
import {
  DEFAULT_RETRY_DELAYS_MS,
  delayBeforeAttempt,
  parseRetryAfter,
  withJitter,
  type RetryPolicy,
} from './retry-schedule';

const policy: RetryPolicy = {
  delays_ms: DEFAULT_RETRY_DELAYS_MS,
  jitter_ratio: 0.2,
  retry_after_max_ms: 3_600_000,
};
const middle = () => 0.5; // no jitter at all

describe('the retry schedule', () => {
  it('is at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h by default', () => {
    expect(DEFAULT_RETRY_DELAYS_MS).toEqual([0, 5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 36e6]);
    expect(DEFAULT_RETRY_DELAYS_MS.map((_, i) => delayBeforeAttempt(policy, i, middle))).toEqual(
      DEFAULT_RETRY_DELAYS_MS,
    );
  });

  it('has no attempt after the last one: the message has failed', () => {
    expect(delayBeforeAttempt(policy, DEFAULT_RETRY_DELAYS_MS.length, middle)).toBeUndefined();
  });

  it('keeps every jittered delay within ±20 % of the scheduled one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 36_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (d, r) => {
          const j = withJitter(d, 0.2, () => r);
          return j >= Math.floor(d * 0.8) && j <= Math.ceil(d * 1.2);
        },
      ),
    );
  });

  it('reaches both ends of the jitter range', () => {
    expect(withJitter(10_000, 0.2, () => 0)).toBe(8_000);
    expect(withJitter(10_000, 0.2, () => 0.999_999_9)).toBe(12_000);
  });

  it('never retries earlier than Retry-After asks, up to the bound', () => {
    expect(delayBeforeAttempt(policy, 1, middle, 60_000)).toBe(60_000);
    expect(delayBeforeAttempt(policy, 1, middle, 1_000)).toBe(5_000);
    expect(delayBeforeAttempt(policy, 1, middle, 86_400_000)).toBe(3_600_000);
  });
});

describe('Retry-After', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  it('reads delay-seconds', () => expect(parseRetryAfter('120', now)).toBe(120_000));
  it('reads an HTTP-date', () => expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000));
  it('treats a past date as now', () =>
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0));
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
  });
});
