import type { Logger } from '../../platform/logger';
import type { Redis } from '../../platform/redis';
import type { ApiConfig } from './config';
import { createBlockAdmin } from './data-access/rate-limits/blocks';
import { createRateLimiter } from './use-cases/rate-limiter';
import type { LimitSettings, Policy } from './domain/rate-limits/policies';

const policy = (name: string, p: { quota: number; window_s: number }): Policy => ({ name, ...p });

/** The limit settings the configuration describes. */
export function limitSettingsOf(config: ApiConfig): LimitSettings {
  return {
    policies: {
      signup_per_ip: policy('ip-signup', config.RATE_LIMIT_SIGNUP_PER_IP),
      read_per_key: policy('key-read', config.RATE_LIMIT_READS_PER_KEY),
      write_per_key: policy('key-write', config.RATE_LIMIT_WRITES_PER_KEY),
      read_per_tenant: policy('tenant-read', config.RATE_LIMIT_READS_PER_TENANT),
      write_per_tenant: policy('tenant-write', config.RATE_LIMIT_WRITES_PER_TENANT),
    },
    hard_pct: config.RATE_LIMIT_HARD_PCT,
    blocks: {
      periods_ms: config.RATE_LIMIT_BLOCK_SECONDS.map((s) => s * 1_000),
      offence_memory_ms: config.RATE_LIMIT_OFFENCE_MEMORY_SECONDS * 1_000,
    },
    backoff: { base_ms: config.RATE_LIMIT_BACKOFF_BASE_MS, max_ms: config.RATE_LIMIT_BACKOFF_MAX_MS },
  };
}

/** The limiter, its settings and the operators' view of blocks, for one API process. */
export function createRateLimits(config: ApiConfig, redis: Redis, logger: Logger) {
  const settings = limitSettingsOf(config);
  const limiter = createRateLimiter({
    redis,
    logger,
    prefix: config.RATE_LIMIT_REDIS_PREFIX,
    hard_pct: settings.hard_pct,
    blocks: settings.blocks,
    processes: config.RATE_LIMIT_PROCESSES ?? config.API_WORKERS,
    redis_retry_ms: config.RATE_LIMIT_REDIS_RETRY_MS,
    lease_ms: config.RATE_LIMIT_LEASE_MS,
  });
  return {
    enabled: config.RATE_LIMIT_ENABLED,
    settings,
    limiter,
    blocks: createBlockAdmin(redis, config.RATE_LIMIT_REDIS_PREFIX),
  };
}

export type RateLimits = ReturnType<typeof createRateLimits>;
