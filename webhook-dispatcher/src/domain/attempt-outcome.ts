import { delayBeforeAttempt, type Random, type RetryPolicy } from './retry-schedule';

/** What came of one POST: a response (any status), or no response at all. */
export type SendResult =
  | {
      kind: 'response';
      status: number;
      latency_ms: number;
      /** Up to the configured cap, for the delivery log. */
      body: string;
      /** Parsed Retry-After, ms from now. */
      retryAfter_ms?: number | undefined;
    }
  | {
      kind: 'no_response';
      latency_ms: number;
      /** timeout, connection refused, address not allowed, ... */
      error: string;
    };

export type Decision =
  | { kind: 'delivered' }
  | { kind: 'retry'; delay_ms: number }
  /** The schedule is exhausted: the message has failed (it can be recovered). */
  | { kind: 'give_up' }
  | { kind: 'disable_endpoint'; reason: 'gone' | 'failing' };

export interface AttemptContext {
  /** Position of the attempt just made in its round. */
  scheduleIndex: number;
  /** First failure since the endpoint's last success, if any. */
  failingSince: Date | null;
  now: Date;
  policy: RetryPolicy;
  /** An endpoint failing without a success for this long is disabled. */
  disableAfterFailing_ms: number;
  random: Random;
}

export const isSuccess = (r: SendResult): boolean =>
  r.kind === 'response' && r.status >= 200 && r.status <= 299;

/**
 * What to do after an attempt: only a 2xx delivers; 410 Gone disables the endpoint; an
 * endpoint that has been failing for too long is disabled; otherwise the next attempt of the
 * schedule (honouring Retry-After), or giving up when there is none.
 */
export function decideAfterAttempt(result: SendResult, ctx: AttemptContext): Decision {
  if (isSuccess(result)) return { kind: 'delivered' };
  if (result.kind === 'response' && result.status === 410)
    return { kind: 'disable_endpoint', reason: 'gone' };
  const failingSince = ctx.failingSince ?? ctx.now;
  if (ctx.now.getTime() - failingSince.getTime() >= ctx.disableAfterFailing_ms)
    return { kind: 'disable_endpoint', reason: 'failing' };
  const retryAfter = result.kind === 'response' ? result.retryAfter_ms : undefined;
  const delay = delayBeforeAttempt(ctx.policy, ctx.scheduleIndex + 1, ctx.random, retryAfter);
  return delay === undefined ? { kind: 'give_up' } : { kind: 'retry', delay_ms: delay };
}

/** One line for the delivery log: why an attempt did not succeed. */
export function describeFailure(result: SendResult): string | null {
  if (isSuccess(result)) return null;
  return result.kind === 'no_response' ? result.error : `HTTP ${result.status}`;
}
