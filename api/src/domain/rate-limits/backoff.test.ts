import { backoffCeilingForPressure_ms, retryAfterSeconds } from './backoff';

const backoff = { base_ms: 1_000, max_ms: 60_000 };

describe('Retry-After for a soft refusal', () => {
  it('doubles its jitter ceiling from the base to the maximum as the pressure rises toward the hard limit', () => {
    const ceilings = [0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 1].map((p) =>
      backoffCeilingForPressure_ms(p, backoff),
    );

    expect(ceilings).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
  });

  it('is the wait until a request fits plus full jitter: anywhere from nothing to the ceiling', () => {
    const refusal = { wait_ms: 20_000, pressure: 0.5 };

    expect(retryAfterSeconds(refusal, backoff, () => 0)).toBe(20);
    expect(retryAfterSeconds(refusal, backoff, () => 0.999_999)).toBe(20 + 8);
  });

  it('shrinks again as the pressure drains once the client behaves', () => {
    const pushing = retryAfterSeconds({ wait_ms: 0, pressure: 1 }, backoff, () => 0.999_999);
    const behaving = retryAfterSeconds({ wait_ms: 0, pressure: 0.1 }, backoff, () => 0.999_999);

    expect(pushing).toBe(60);
    expect(behaving).toBe(1);
  });

  it('is never less than one second (HTTP counts whole seconds)', () => {
    expect(retryAfterSeconds({ wait_ms: 1, pressure: 0 }, backoff, () => 0)).toBe(1);
  });
});
