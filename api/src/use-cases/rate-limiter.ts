import type { Logger } from '../../../platform/logger';
import type { Redis } from '../../../platform/redis';
import { blockKeyOf, type Decision } from '../domain/rate-limits/decision';
import { createMemoryStore } from '../data-access/rate-limits/memory-store';
import {
  shareOf,
  type BlockSettings,
  type Limit,
  type Policy,
  type Subject,
} from '../domain/rate-limits/policies';
import { createRedisStore } from '../data-access/rate-limits/redis-store';

/** Counters for the metrics endpoint to expose (plain numbers, read at scrape time). */
export interface RateLimitStats {
  decisions_redis: number;
  /** Admitted from a lease Redis gave this process (no round trip). */
  decisions_leased: number;
  decisions_memory: number;
  /** Whether decisions are being made in memory right now (Redis unreachable). */
  fallback_active: boolean;
  /** How many times decisions moved from Redis to memory. */
  fallbacks: number;
}

/** A decision and the limits it enforced (each process's share in memory). */
export interface Decided {
  decision: Decision;
  limits: Limit[];
}

export interface RateLimiterOptions {
  redis: Redis;
  logger: Logger;
  /** Prefix of every Redis key the limiter writes. */
  prefix: string;
  hard_pct: number;
  blocks: BlockSettings;
  /** API processes sharing the limits: the in-memory fallback enforces 1/processes of each quota. */
  processes: number;
  /** After a failed Redis decision, how long to decide in memory before trying Redis again, ms. */
  redis_retry_ms: number;
  /** How long a busy limit's lease lasts (redis-store.ts); 0: every request asks Redis. */
  lease_ms: number;
  memory_entries_max?: number;
}

/**
 * Decides in Redis (shared by every API process) and, when Redis cannot answer, at once in
 * memory with each process's share of every policy: never unlimited, and never waiting on
 * Redis longer than its client's command timeout. Logs once when it falls back and once when
 * it is back on Redis, which it does by itself as soon as the connection is ready again.
 */
export function createRateLimiter(options: RateLimiterOptions) {
  const redisStore = createRedisStore(options.redis, options);
  const memory = createMemoryStore({
    hard_pct: options.hard_pct,
    blocks: options.blocks,
    entries_max: options.memory_entries_max ?? 100_000,
  });
  const log = options.logger.child({ component: 'rate-limits' });
  const stats: RateLimitStats = {
    decisions_redis: 0,
    decisions_leased: 0,
    decisions_memory: 0,
    fallback_active: false,
    fallbacks: 0,
  };
  let redisAgainAt = 0;

  const fallBack = (reason: unknown) => {
    redisAgainAt = Date.now() + options.redis_retry_ms;
    if (stats.fallback_active) return;
    stats.fallback_active = true;
    stats.fallbacks++;
    log.warn(
      { err: reason, processes: options.processes },
      'rate limits decided in memory (each process its share) until Redis answers again',
    );
  };

  // Each policy's share is made once: the same objects on every request (the headers' text is
  // cached per policy object too).
  const shares = new WeakMap<Policy, Policy>();
  const shareOfPolicy = (policy: Policy): Policy => {
    let share = shares.get(policy);
    if (!share) shares.set(policy, (share = shareOf(policy, options.processes)));
    return share;
  };

  const inMemory = (limits: Limit[]): Decided => {
    const shared = limits.map((l) => ({ ...l, policy: shareOfPolicy(l.policy) }));
    stats.decisions_memory++;
    return { decision: memory.decide(shared), limits: shared };
  };

  const inRedis = (decision: Decision, limits: Limit[]): Decided => {
    if (decision.outcome === 'admitted' && decision.leased) stats.decisions_leased++;
    else stats.decisions_redis++;
    if (stats.fallback_active) {
      stats.fallback_active = false;
      log.info('rate limits decided in Redis again');
    }
    return { decision, limits };
  };

  return {
    stats,
    /**
     * Counts one request against its limits; the limits returned are those enforced (shares in memory).
     * Produces no domain error: a refusal is a decision (`limited`, `blocked`), and a Redis failure
     * is decided in memory instead, never thrown. Decided at once (in memory, or from a lease), it
     * is returned as it is; a promise only when Redis is asked.
     */
    decide(limits: Limit[]): Decided | Promise<Decided> {
      if (options.redis.status !== 'ready') {
        // An Error (its stack) per request would cost more than the decision: only the first is logged.
        if (!stats.fallback_active) fallBack(new Error(`Redis connection ${options.redis.status}`));
        return inMemory(limits);
      }
      if (Date.now() < redisAgainAt) return inMemory(limits);
      let decided: Decision | Promise<Decision>;
      try {
        decided = redisStore.decide(limits);
      } catch (error) {
        fallBack(error);
        return inMemory(limits);
      }
      if (!(decided instanceof Promise)) return inRedis(decided, limits);
      return decided.then(
        (decision) => inRedis(decision, limits),
        (error: unknown) => {
          fallBack(error);
          return inMemory(limits);
        },
      );
    },
    /** Lifts a block in this process's memory (the Redis side is blocks.ts). */
    liftInMemory(subject: Subject, id: string): boolean {
      return memory.lift(blockKeyOf(subject, id));
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
