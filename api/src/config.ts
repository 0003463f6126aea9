import { z } from 'zod';
import { baseConfigShape, env, loadConfig } from '../../platform/config';

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
  API_DB_POOL_MAX: env.int('PostgreSQL connections per worker', 16, 1, 200),
  API_BODY_BYTES_MAX: env.int('largest accepted request body, bytes', 64 * 1024, 1024, 1024 * 1024),
  ADMIN_TOKEN: z
    .string()
    .min(24)
    .optional()
    .describe('bearer token for /v1/admin routes (FX rates); admin routes are refused when unset'),
  AUTH_CACHE_TTL_MS: env.int('how long an API key lookup is cached, ms', 5_000, 0, 60_000),
  RATE_LIMIT_PUBLIC_PER_MINUTE: env.int('requests per minute per IP on public routes', 60, 1, 1_000_000),
  RATE_LIMIT_KEY_PER_SECOND: env.int(
    'requests per second per API key on protected routes',
    2_000,
    1,
    1_000_000,
  ),
  RATE_LIMIT_SOFT_RATIO_PCT: env.int(
    'percent of a limit past which requests are slowed with jittered backoff before being refused',
    80,
    1,
    100,
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
  // Webhook endpoints (the webhook dispatcher reads the same WEBHOOK_SECRETS_KEY and WEBHOOK_ALLOW_HTTP).
  WEBHOOK_SECRETS_KEY: z
    .string()
    .default(Buffer.from('dev-only-webhook-secrets-key-32b').toString('base64'))
    .transform((s) => Buffer.from(s, 'base64'))
    .refine((key) => key.length === 32, 'must decode to 32 bytes')
    .describe(
      'base64 of the 32-byte AES-256-GCM key of endpoint secrets at rest; the default is for development only',
    ),
  WEBHOOK_ALLOW_HTTP: env.bool(
    'accept http:// webhook endpoint URLs (local development and tests only)',
    false,
  ),
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
