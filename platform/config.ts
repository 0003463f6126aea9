import { z } from 'zod';

/*
 * Names with a unit: environment variables end in the unit in capitals (`WEBHOOK_TIMEOUT_MS`);
 * in code, option fields and variables are camelCase with the unit last after an underscore
 * (`timeout_ms`, `retryBackoffMax_ms`, `lease_ms`): the most common spelling already, and the
 * house style's "units last". Library option names (kafkajs's `maxWaitTimeInMs`, pg's
 * `connectionTimeoutMillis`) keep their own spelling where they are passed.
 */

export class ConfigError extends Error {
  readonly code = 'invalid_config';
}

/**
 * Parses the environment once against a service's schema and freezes the result. A bad or
 * missing value stops start-up with a message naming each variable and what it expects.
 * @throws ConfigError
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): Readonly<z.infer<S>> {
  // An empty variable (`FOO=`) means unset, as in the OpenTelemetry and most shells' conventions:
  // its default applies, instead of '' coerced to 0 or false.
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.');
      const field = schema.shape[key] as z.ZodType | undefined;
      const expects = field?.description ? ` (expects: ${field.description})` : '';
      return `  ${key}: ${issue.message}${expects}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze(parsed.data);
}

/** Common environment shapes, each with its default and a one-line description. */
export const env = {
  url: (description: string, fallback?: string) =>
    (fallback === undefined ? z.url() : z.url().default(fallback)).describe(description),
  int: (description: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number().int().min(min).max(max).default(fallback).describe(description),
  string: (description: string, fallback: string) =>
    z.string().min(1).default(fallback).describe(description),
  bool: (description: string, fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1')
      .describe(description),
  logLevel: () =>
    z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('pino log level'),
};

/** Settings every service shares: where the infrastructure is and how to log. */
export const baseConfigShape = {
  DATABASE_URL: env.url('PostgreSQL connection URL', 'postgres://postgres@127.0.0.1:15432/ledger'),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:19092')
    .transform((s) => s.split(',').map((b) => b.trim()))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'host:port')).min(1))
    .describe('comma-separated Kafka bootstrap brokers, host:port'),
  KAFKA_REPLICATION_FACTOR: env.int(
    'replicas of each topic the services create; above 1, min.insync.replicas is one less (3 brokers: 3, min ISR 2)',
    1,
    1,
    7,
  ),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*$/)
    .default('')
    .describe('prefix of every topic name (tests isolate themselves with it)'),
  LOG_LEVEL: env.logLevel(),
  METRICS_ENABLED: env.bool(
    'count and time the work for /metrics (and collect process metrics); off only to measure what metrics cost',
    true,
  ),
  LOG_PRETTY: env.bool('human-readable logs instead of JSON', false),
};

/** Development only: deployments must set their own WEBHOOK_SECRETS_KEY. */
const DEV_WEBHOOK_SECRETS_KEY = Buffer.from('dev-only-webhook-secrets-key-32b').toString('base64');

/**
 * Webhook endpoint settings the API (which stores endpoints and their secrets) and the
 * dispatcher (which reads them to sign and send) must agree on: one definition for both.
 */
export const webhookSecretsShape = {
  WEBHOOK_SECRETS_KEY: z
    .string()
    .default(DEV_WEBHOOK_SECRETS_KEY)
    .transform((s) => Buffer.from(s, 'base64'))
    .refine((key) => key.length === 32, 'must decode to 32 bytes')
    .describe(
      'base64 of the 32-byte AES-256-GCM key of endpoint secrets at rest; the default is for development only',
    ),
  WEBHOOK_ALLOW_HTTP: env.bool(
    'accept and call http:// webhook endpoint URLs (local development and tests only)',
    false,
  ),
};
