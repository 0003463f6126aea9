import {
  AWAIT_DEPENDENCY,
  backoffDelay,
  CLAIM_FAILURE,
  DATABASE_OUTAGE,
  FAN_OUT_FAILURE,
  KAFKA_PROBE,
  KAFKA_SETUP,
  RECONNECT,
  REDIS_RECONNECT,
  RESTART,
  WRITE_CONFLICT,
} from './retry';

describe('backoffDelay', () => {
  const policies = {
    RECONNECT,
    REDIS_RECONNECT,
    DATABASE_OUTAGE,
    FAN_OUT_FAILURE,
    WRITE_CONFLICT,
    CLAIM_FAILURE,
    KAFKA_SETUP,
  };

  it.each(Object.entries(policies))(
    '%s: doubles from its base up to its ceiling, jittered down to 0',
    (_, policy) => {
      expect(backoffDelay(0, policy, () => 1)).toBe(policy.base_ms);
      expect(backoffDelay(1, policy, () => 1)).toBe(Math.min(policy.max_ms, 2 * policy.base_ms));
      expect(backoffDelay(1_000, policy, () => 1)).toBe(policy.max_ms);
      expect(backoffDelay(1_000, policy, () => 0)).toBe(0);
      for (let attempt = 0; attempt < 40; attempt++) {
        const delay = backoffDelay(attempt, policy);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(policy.max_ms);
      }
    },
  );

  it('takes a configured ceiling spread over a named policy', () => {
    expect(backoffDelay(1_000, { ...DATABASE_OUTAGE, max_ms: 60_000 }, () => 1)).toBe(60_000);
    expect(backoffDelay(2, { ...DATABASE_OUTAGE, max_ms: 30 }, () => 0.5)).toBe(15);
  });

  it.each(Object.entries({ AWAIT_DEPENDENCY, KAFKA_PROBE, RESTART }))(
    '%s: never retries at once, waiting its floor before the jittered backoff',
    (_, policy) => {
      const floor = policy.floor_ms!;
      expect(floor).toBeGreaterThan(0);
      expect(backoffDelay(0, policy, () => 0)).toBe(floor);
      expect(backoffDelay(1_000, policy, () => 0)).toBe(floor);
      expect(backoffDelay(0, policy, () => 1)).toBe(floor + policy.base_ms);
      expect(backoffDelay(1_000, policy, () => 1)).toBe(floor + policy.max_ms);
    },
  );
});
