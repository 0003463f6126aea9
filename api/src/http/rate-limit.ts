import type { RequestHandler } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../../../platform/logger';
import type { Redis } from '../../../platform/redis';
import { ApiError } from './api-error';

export interface RateLimitOptions {
  redis: Redis;
  logger: Logger;
  /** Redis key prefix and policy name, e.g. "ip" or "key". */
  name: string;
  points: number;
  windowSeconds: number;
  /** Fraction of `points` past which requests are delayed (soft limit) before the hard 429. */
  softRatio: number;
  key: (req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]) => string;
  /** Counts each decision by policy (`name`) and outcome: allowed, slowed, refused, unavailable. */
  decisions?: { inc(labels: { policy: string; outcome: RateLimitOutcome }): void };
}

export type RateLimitOutcome = 'allowed' | 'slowed' | 'refused' | 'unavailable';

const SOFT_DELAY_MAX_MS = 1_000;

/**
 * Fixed-window limits in Redis, shared by every API process, announced with the IETF RateLimit
 * headers. Past the soft threshold a request is delayed by an exponential backoff with full
 * jitter; past the limit it is refused with 429 and Retry-After. When Redis is unreachable the
 * request passes (availability over strictness) and the failure is logged.
 */
export function rateLimit(options: RateLimitOptions): RequestHandler {
  const limiter = new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix: `ledger:rl:${options.name}`,
    points: options.points,
    duration: options.windowSeconds,
  });
  const softAt = Math.max(1, Math.floor(options.points * options.softRatio));
  const policy = `"${options.name}";q=${options.points};w=${options.windowSeconds}`;

  return async (req, res, next) => {
    let state: RateLimiterRes;
    try {
      state = await limiter.consume(options.key(req, res));
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        options.logger.warn({ err: rejection }, 'rate limiter unavailable; letting the request through');
        options.decisions?.inc({ policy: options.name, outcome: 'unavailable' });
        next();
        return;
      }
      options.decisions?.inc({ policy: options.name, outcome: 'refused' });
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      res.set({ 'RateLimit-Policy': policy, RateLimit: `"${options.name}";r=0;t=${retryAfter}` });
      throw new ApiError(
        'rate_limited',
        'too many requests; retry after the time in Retry-After',
        undefined,
        {
          'Retry-After': String(retryAfter),
        },
      );
    }
    const reset = Math.max(0, Math.ceil(state.msBeforeNext / 1000));
    res.set({
      'RateLimit-Policy': policy,
      RateLimit: `"${options.name}";r=${state.remainingPoints};t=${reset}`,
    });
    options.decisions?.inc({
      policy: options.name,
      outcome: state.consumedPoints > softAt ? 'slowed' : 'allowed',
    });
    if (state.consumedPoints > softAt) {
      const excess = state.consumedPoints - softAt;
      const ceiling = Math.min(SOFT_DELAY_MAX_MS, 10 * 2 ** Math.min(excess, 16));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
    next();
  };
}
