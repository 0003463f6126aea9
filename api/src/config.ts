import { isIP } from 'node:net';
import { z } from 'zod';
import { baseConfigShape, env, loadConfig, webhookSecretsShape } from '../../platform/config';

/** A rate-limit policy written quota/window_seconds, e.g. "100/60": 100 requests a minute, all at once if need be. */
const ratePolicy = (description: string, fallback: string) =>
  z
    .string()
    .regex(/^\d{1,9}\/\d{1,6}$/, 'quota/window_seconds, e.g. 100/60')
    .default(fallback)
    .transform((s) => {
      const [quota, window_s] = s.split('/').map(Number) as [number, number];
      return { quota, window_s };
    })
    // The limiter counts in whole microseconds per request: at most a million requests a second.
    .refine(
      (p) => p.quota >= 1 && p.window_s >= 1 && p.window_s <= 86_400 && p.quota <= p.window_s * 1_000_000,
      'quota >= 1, window 1..86400 s, at most 1000000 requests a second',
    )
    .describe(description);

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
/** Express's `trust proxy` list: addresses, CIDR ranges or its names; none by default. */
const trustedProxies = () =>
  z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .refine(
      (list) =>
        list.every((p) => {
          const [address, bits, extra] = p.split('/');
          if (PROXY_NAMES.includes(p)) return true;
          const family = isIP(address ?? '');
          if (!family || extra !== undefined) return false;
          return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
        }),
      `comma-separated IP addresses, CIDR ranges or ${PROXY_NAMES.join(', ')}`,
    )
    .describe(
      'proxies whose X-Forwarded-For gives the client IP (rate limits, logs); none by default: the peer address counts',
    );

export const apiConfigSchema = z.object({
  ...baseConfigShape,
  REDIS_URL: env.url(
    'Redis connection URL (rate limits, key revocation broadcasts)',
    'redis://127.0.0.1:16379',
  ),
  API_HOST: env.string('interface to listen on', '127.0.0.1'),
  API_PORT: env.int('TCP port to listen on (0: any free port)', 3000, 0, 65_535),
  API_PUBLIC_URL: z.url().optional().describe('base URL clients use, for Location headers and examples'),
  API_WORKERS: env.int('HTTP worker processes (node cluster); 1 runs in-process', 1, 1, 64),
  OPS_HOST: env.string('interface of API_OPS_PORT', '127.0.0.1'),
  API_OPS_PORT: env.int(
    "with API_WORKERS > 1: TCP port of the primary's /metrics (all workers' series summed), /healthz, /readyz (0: any free port)",
    9100,
    0,
    65_535,
  ),
  API_DB_POOL_MAX: env.int('PostgreSQL connections per worker', 16, 1, 200),
  API_BODY_BYTES_MAX: env.int('largest accepted request body, bytes', 64 * 1024, 1024, 1024 * 1024),
  ADMIN_TOKEN: z
    .string()
    .min(24)
    .optional()
    .describe('bearer token for /v1/admin routes (FX rates); admin routes are refused when unset'),
  AUTH_CACHE_TTL_MS: env.int('how long an API key lookup is cached, ms', 5_000, 0, 60_000),
  AUTH_CACHE_ENTRIES_MAX: env.int(
    'API key lookups one API process keeps cached (least recently used go first)',
    100_000,
    1,
    10_000_000,
  ),
  AUTH_TOUCH_INTERVAL_MS: env.int(
    "how often at most an API key's last_used_at is written, per key and API process, ms",
    60_000,
    0,
    86_400_000,
  ),
  API_TRUSTED_PROXIES: trustedProxies(),
  RATE_LIMIT_ENABLED: env.bool(
    'count requests against the rate limits (off only to measure their cost)',
    true,
  ),
  RATE_LIMIT_SIGNUP_PER_IP: ratePolicy('tenant sign-ups per client IP, as quota/window_seconds', '20/60'),
  RATE_LIMIT_READS_PER_KEY: ratePolicy('reads (GET) per API key, as quota/window_seconds', '2000/1'),
  RATE_LIMIT_WRITES_PER_KEY: ratePolicy(
    'writes (POST, PATCH, PUT, DELETE) per API key, quota/window_seconds',
    '2000/1',
  ),
  RATE_LIMIT_READS_PER_TENANT: ratePolicy(
    'reads per tenant over all its API keys, quota/window_seconds',
    '5000/1',
  ),
  RATE_LIMIT_WRITES_PER_TENANT: ratePolicy(
    'writes per tenant over all its API keys, quota/window_seconds',
    '5000/1',
  ),
  RATE_LIMIT_HARD_PCT: env.int(
    'attempts within a window, in % of its quota (refused ones count), past which the client is blocked',
    200,
    100,
    10_000,
  ),
  RATE_LIMIT_BLOCK_SECONDS: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'comma-separated whole seconds, e.g. 60,300,1800')
    .default('60,300,1800')
    .transform((s) => s.split(',').map(Number))
    .pipe(
      z
        .array(
          z
            .number()
            .int()
            .min(1)
            .max(7 * 86_400),
        )
        .min(1)
        .max(20),
    )
    .describe('block period of the 1st, 2nd, 3rd... offence in seconds; the last one repeats'),
  RATE_LIMIT_OFFENCE_MEMORY_SECONDS: env.int(
    'how long an offence counts toward escalation, s',
    86_400,
    1,
    30 * 86_400,
  ),
  RATE_LIMIT_BACKOFF_BASE_MS: env.int(
    'smallest full-jitter backoff ceiling added to Retry-After, ms',
    1_000,
    1,
    3_600_000,
  ),
  RATE_LIMIT_BACKOFF_MAX_MS: env.int(
    'largest full-jitter backoff ceiling added to Retry-After, ms',
    60_000,
    1,
    3_600_000,
  ),
  RATE_LIMIT_REDIS_TIMEOUT_MS: env.int(
    'longest a request waits on Redis for its rate-limit decision, ms',
    50,
    1,
    1_000,
  ),
  RATE_LIMIT_LEASE_MS: env.int(
    "how long a busy limit's lease lasts, ms: tokens Redis hands a process to admit without asking, renewed at half this (README, Rate limits); also the longest a block set through another process takes to reach requests admitted from a lease; 0: every request asks Redis",
    500,
    0,
    5_000,
  ),
  RATE_LIMIT_REDIS_RETRY_MS: env.int(
    'after a failed Redis decision, how long decisions stay in memory before Redis is tried again, ms',
    1_000,
    0,
    60_000,
  ),
  RATE_LIMIT_REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:._-]+$/)
    .default('ledger:rl')
    .describe("prefix of the rate limiter's Redis keys (processes sharing limits share it)"),
  RATE_LIMIT_PROCESSES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .optional()
    .describe(
      'API processes sharing the limits, all hosts together; each enforces 1/N of every quota while Redis is down (default API_WORKERS)',
    ),
  PUBLISH_LINGER_MS: env.int('how long queued commands wait for company after a send returns, ms', 1, 0, 100),
  ACCEPT_BATCH_SIZE_MAX: env.int(
    'pending transfers written per insert (one commit for the lot)',
    500,
    1,
    5_000,
  ),
  PUBLISH_TIMEOUT_MS: env.int(
    'longest a submission waits for Kafka before answering 202 and leaving the command to the sweeper, ms',
    2_000,
    100,
    60_000,
  ),
  API_DB_CONNECT_TIMEOUT_MS: env.int(
    'longest a request waits for a PostgreSQL connection before answering 503, ms',
    2_000,
    100,
    60_000,
  ),
  PUBLISH_BATCH_SIZE_MAX: env.int('commands per Kafka request', 500, 1, 10_000),
  SWEEP_INTERVAL_MS: env.int(
    'how often accepted-but-unprocessed transfers are looked for, ms',
    5_000,
    100,
    600_000,
  ),
  SWEEP_AGE_MS: env.int(
    'age after which a pending transfer is published again, ms',
    30_000,
    1_000,
    86_400_000,
  ),
  ...webhookSecretsShape,
  WEBHOOK_ENDPOINTS_PER_TENANT_MAX: env.int('webhook endpoints one tenant may have', 20, 1, 1_000),
  WEBHOOK_RECOVER_BATCH_MAX: env.int(
    'failed deliveries one recover call schedules again at most',
    10_000,
    1,
    1_000_000,
  ),
});

export type ApiConfig = z.infer<typeof apiConfigSchema>;

export const loadApiConfig = (source: NodeJS.ProcessEnv = process.env) => loadConfig(apiConfigSchema, source);
