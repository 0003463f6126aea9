import { decideAfterAttempt, type AttemptContext, type SendResult } from './attempt-outcome';

const DAY = 86_400_000;
const now = new Date('2025-03-01T12:00:00Z');
const ctx = (over: Partial<AttemptContext> = {}): AttemptContext => ({
  scheduleIndex: 0,
  failingSince: null,
  now,
  policy: { delays_ms: [0, 100, 200], jitter_ratio: 0, retry_after_max_ms: 10_000 },
  disableAfterFailing_ms: 5 * DAY,
  random: () => 0.5,
  ...over,
});
const response = (status: number, retryAfter_ms?: number): SendResult => ({
  kind: 'response',
  status,
  latency_ms: 3,
  body: '',
  retryAfter_ms,
});

describe('what follows an attempt', () => {
  it('a 2xx delivers', () => {
    expect(decideAfterAttempt(response(204), ctx())).toEqual({ kind: 'delivered' });
  });

  it('a 3xx, 4xx, 5xx or no response schedules the next attempt', () => {
    for (const r of [
      response(301),
      response(400),
      response(500),
      { kind: 'no_response', latency_ms: 5, error: 'timeout' } as const,
    ])
      expect(decideAfterAttempt(r, ctx())).toEqual({ kind: 'retry', delay_ms: 100 });
    expect(decideAfterAttempt(response(500), ctx({ scheduleIndex: 1 }))).toEqual({
      kind: 'retry',
      delay_ms: 200,
    });
  });

  it('honours Retry-After', () => {
    expect(decideAfterAttempt(response(429, 5_000), ctx())).toEqual({ kind: 'retry', delay_ms: 5_000 });
  });

  it('gives up after the last attempt of the schedule', () => {
    expect(decideAfterAttempt(response(500), ctx({ scheduleIndex: 2 }))).toEqual({ kind: 'give_up' });
  });

  it('410 Gone disables the endpoint', () => {
    expect(decideAfterAttempt(response(410), ctx())).toEqual({ kind: 'disable_endpoint', reason: 'gone' });
  });

  it('an endpoint failing without a success for 5 days is disabled', () => {
    const justUnder = new Date(now.getTime() - 5 * DAY + 1);
    expect(decideAfterAttempt(response(500), ctx({ failingSince: justUnder })).kind).toBe('retry');
    const fiveDays = new Date(now.getTime() - 5 * DAY);
    expect(decideAfterAttempt(response(500), ctx({ failingSince: fiveDays }))).toEqual({
      kind: 'disable_endpoint',
      reason: 'failing',
    });
    expect(decideAfterAttempt(response(200), ctx({ failingSince: fiveDays }))).toEqual({ kind: 'delivered' });
  });
});
