import type { Logger } from './logger';

/** A wait on the network that outlived its bound. */
export class TimeoutError extends Error {
  readonly code = 'timeout';
  constructor(
    what: string,
    readonly timeout_ms: number,
  ) {
    super(`${what} did not finish within ${timeout_ms} ms`);
  }
}

/**
 * Settles with `work`, or rejects with TimeoutError after `timeout_ms`. The work itself goes on
 * (a promise cannot be cancelled): the caller stops waiting for it, and must not care how it ends.
 */
export function withTimeout<T>(work: Promise<T>, timeout_ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, timeout_ms)), timeout_ms);
  });
  work.catch(() => undefined); // once we stop waiting, its failure is nobody's
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export interface BackoffPolicy {
  base_ms: number;
  max_ms: number;
  /**
   * Waited before the jittered backoff, on top of it: for a retry that must never come at once
   * (full jitter alone can draw 0). Absent: 0.
   */
  floor_ms?: number;
}

/*
 * Named policies: every backoff in the services is one of these (the webhook retry schedule, a
 * fixed table of long delays, is the other kind: webhook-dispatcher/src/domain/retry-schedule.ts).
 * A policy whose ceiling is configurable is spread with the configured max_ms at its call site;
 * the API's rate-limit Retry-After backoff is configured whole (RATE_LIMIT_BACKOFF_BASE_MS and
 * _MAX_MS), its attempt being how hard the client pushes (api/src/domain/rate-limits/backoff.ts).
 */

/** Reconnecting to a dependency that is down: quick at first, every few seconds at most. */
export const RECONNECT: BackoffPolicy = { base_ms: 200, max_ms: 5_000 };

/**
 * Starting again what failed as a whole (a crashed Kafka consumer, the outbox relay's connection
 * and LISTEN): RECONNECT after at least its base, so a failure that repeats at once never spins.
 */
export const RESTART: BackoffPolicy = { ...RECONNECT, floor_ms: RECONNECT.base_ms };

/**
 * Redis reconnection (ioredis' retryStrategy): from 50 ms, at most 2 s apart, jittered so many
 * clients do not reconnect in step. Shorter than RECONNECT: rate limits wait on it.
 */
export const REDIS_RECONNECT: BackoffPolicy = { base_ms: 50, max_ms: 2_000 };

/**
 * A processor batch retried while the database is unreachable; the ceiling is
 * PROCESSOR_RETRY_BACKOFF_MAX_MS.
 */
export const DATABASE_OUTAGE: BackoffPolicy = { base_ms: 20, max_ms: 5_000 };

/**
 * A dispatcher fan-out (events to messages) retried while the database is unreachable; the
 * ceiling is WEBHOOK_RETRY_BACKOFF_MAX_MS.
 */
export const FAN_OUT_FAILURE: BackoffPolicy = { base_ms: 50, max_ms: 5_000 };

/**
 * A command that raced another transaction: its partition waits meanwhile, so the backoff stays
 * short (legitimate races resolve at the first retry).
 */
export const WRITE_CONFLICT: BackoffPolicy = { base_ms: 20, max_ms: 200 };

/** Claiming due webhook attempts failed (the database, usually): the delivery loop waits. */
export const CLAIM_FAILURE: BackoffPolicy = { base_ms: 50, max_ms: 5_000 };

/** Waiting for a dependency to answer (untilItWorks): RECONNECT, and never again at once. */
export const AWAIT_DEPENDENCY: BackoffPolicy = { ...RECONNECT, floor_ms: RECONNECT.base_ms / 2 };

/** A Kafka setup step (creating topics, waiting for leaders) that met metadata still settling. */
export const KAFKA_SETUP: BackoffPolicy = { base_ms: 50, max_ms: 1_000 };

/** The pending sweeper probing Kafka while the publisher is unavailable: 250 ms, then backing off. */
export const KAFKA_PROBE: BackoffPolicy = { base_ms: 250, max_ms: 2_000, floor_ms: 250 };

/** The hold expiry sweeper after a failed sweep (the database, usually); claimed holds are asked for again. */
export const EXPIRY_SWEEP_FAILURE: BackoffPolicy = { base_ms: 250, max_ms: 5_000 };

/** The most an attempt's backoff waits: base·2^attempt, at most max (attempt 0 is the first retry). */
export function backoffCeiling_ms(attempt: number, policy: BackoffPolicy): number {
  return Math.min(policy.max_ms, policy.base_ms * 2 ** Math.min(attempt, 30));
}

/**
 * Exponential backoff with full jitter, in whole ms: uniform in [0, backoffCeiling_ms(attempt)],
 * after the policy's floor_ms if it has one.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  return (policy.floor_ms ?? 0) + Math.round(random() * backoffCeiling_ms(attempt, policy));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `step` until it succeeds: for a service that starts before its dependencies, or outlives
 * one of them. Logs the first failure and every tenth, and the recovery; gives up only when
 * `stopped()` says so (the process is shutting down), rethrowing the last error.
 */
export async function untilItWorks<T>(
  what: string,
  step: () => Promise<T>,
  options: { logger: Logger; policy?: BackoffPolicy; stopped?: () => boolean },
): Promise<T> {
  const policy = options.policy ?? AWAIT_DEPENDENCY;
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await step();
      if (attempt > 0) options.logger.info({ attempts: attempt + 1 }, `${what}: done`);
      return result;
    } catch (error) {
      if (options.stopped?.()) throw error;
      if (attempt % 10 === 0) options.logger.warn({ err: error, attempt: attempt + 1 }, `${what}: waiting`);
      await sleep(backoffDelay(attempt, policy));
    }
  }
}
