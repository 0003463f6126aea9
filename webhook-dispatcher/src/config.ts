import { z } from 'zod';
import { WEBHOOK_PAYLOAD_BYTES_MAX } from '../../contracts/src';
import { baseConfigShape, env, loadConfig, webhookSecretsShape } from '../../platform/config';
import { parseCidr } from './domain/address-policy';
import { DEFAULT_RETRY_DELAYS_MS, RETRY_ATTEMPTS_MAX } from './domain/retry-schedule';

const WEEK_MS = 7 * 86_400_000;

export const webhookDispatcherConfigSchema = z.object({
  ...baseConfigShape,
  WEBHOOK_DISPATCHER_GROUP_ID: env.string(
    'Kafka consumer group of the webhook dispatchers',
    'webhook-dispatcher',
  ),
  ...webhookSecretsShape,
  WEBHOOK_ALLOWED_CIDRS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c.length > 0),
    )
    .pipe(z.array(z.string().refine(isCidr, 'an address or CIDR range, e.g. 127.0.0.1/32')).max(100))
    .transform((list) => list.map(parseCidr))
    .describe(
      'comma-separated non-public address ranges webhooks may still reach (e.g. 127.0.0.1/32 in tests)',
    ),
  WEBHOOK_RETRY_SCHEDULE_MS: z
    .string()
    .default(DEFAULT_RETRY_DELAYS_MS.join(','))
    .transform((s) => s.split(',').map((d) => Number(d.trim())))
    .pipe(z.array(z.int().min(0).max(WEEK_MS)).min(1).max(RETRY_ATTEMPTS_MAX))
    .describe('comma-separated delays before each attempt of a delivery, ms (the first is usually 0)'),
  WEBHOOK_RETRY_JITTER_PCT: env.int('random spread of each retry delay, ± percent', 20, 0, 50),
  WEBHOOK_RETRY_AFTER_MAX_MS: env.int('longest Retry-After honoured, ms', 3_600_000, 0, WEEK_MS),
  WEBHOOK_DISABLE_AFTER_FAILING_MS: env.int(
    'an endpoint failing without a success for this long is disabled, ms',
    5 * 86_400_000,
    1_000,
    30 * 86_400_000,
  ),
  WEBHOOK_TIMEOUT_MS: env.int(
    'timeout of one delivery (connect, response and body), ms',
    15_000,
    100,
    60_000,
  ),
  WEBHOOK_RESPONSE_BODY_BYTES_MAX: env.int(
    'bytes of a response body kept for the delivery log',
    1_024,
    0,
    4_096,
  ),
  WEBHOOK_PAYLOAD_BYTES_MAX: env.int(
    'largest webhook body; larger events are not delivered',
    WEBHOOK_PAYLOAD_BYTES_MAX,
    1_024,
    WEBHOOK_PAYLOAD_BYTES_MAX,
  ),
  WEBHOOK_CONCURRENCY_MAX: env.int('deliveries in flight per dispatcher process', 256, 1, 4_096),
  WEBHOOK_ENDPOINT_CONCURRENCY_MAX: env.int(
    'deliveries in flight to one endpoint per dispatcher process',
    16,
    1,
    256,
  ),
  WEBHOOK_CLAIM_BATCH_MAX: env.int('due attempts claimed per query', 200, 1, 1_000),
  WEBHOOK_RECORD_BATCH_MAX: env.int(
    'successful attempts recorded per statement (group commit of outcomes)',
    256,
    1,
    4_096,
  ),
  WEBHOOK_POLL_INTERVAL_MS: env.int('how often due attempts are looked for when idle, ms', 250, 10, 60_000),
  WEBHOOK_EVENT_BATCH_SIZE_MAX: env.int('events fanned out per database transaction', 500, 1, 10_000),
  WEBHOOK_PARTITIONS_CONCURRENCY: env.int('event partitions consumed at once by one process', 4, 1, 64),
  WEBHOOK_KAFKA_SESSION_TIMEOUT_MS: env.int(
    'how long the consumer group waits for a silent dispatcher before handing its partitions to others, ms',
    6_000,
    6_000,
    300_000,
  ),
  WEBHOOK_FETCH_MAX_WAIT_MS: env.int('longest a Kafka fetch waits for data, ms', 20, 0, 5_000),
  WEBHOOK_RETRY_BACKOFF_MAX_MS: env.int(
    'longest pause between retries of a failed fan-out, ms',
    5_000,
    10,
    60_000,
  ),
  WEBHOOK_DB_POOL_MAX: env.int('PostgreSQL connections', 8, 2, 100),
  WEBHOOK_DB_CONNECT_TIMEOUT_MS: env.int(
    'longest wait for a new PostgreSQL connection before the query fails (and is retried), ms',
    2_000,
    100,
    60_000,
  ),
  WEBHOOK_FETCH_PARTITION_BYTES_MAX: env.int(
    'bytes of events one Kafka fetch may hold per partition',
    2 * 1024 * 1024,
    64 * 1024,
    256 * 1024 * 1024,
  ),
  WEBHOOK_FETCH_BYTES_MAX: env.int(
    'bytes of events one Kafka fetch may hold in all (bounds the consumer memory)',
    16 * 1024 * 1024,
    64 * 1024,
    1024 * 1024 * 1024,
  ),
  WEBHOOK_CLAIM_ENDPOINTS_SCAN_MAX: env.int(
    'endpoints with scheduled attempts one claim looks at (bounds its work; far above what one dispatcher serves at once)',
    10_000,
    1,
    1_000_000,
  ),
  WEBHOOK_LOCAL_TIMER_MAX_MS: env.int(
    'a retry due within this long gets a timer of its own instead of waiting for the poll, ms',
    60_000,
    0,
    3_600_000,
  ),
  WEBHOOK_SIGNING_KEYS_CACHE_MAX: env.int(
    'endpoints whose decrypted signing keys are kept in memory (least recently used go first)',
    10_000,
    1,
    1_000_000,
  ),
  OPS_HOST: env.string('interface of the ops port (/metrics, /healthz, /readyz)', '127.0.0.1'),
  WEBHOOK_OPS_PORT: env.int('TCP port of /metrics, /healthz and /readyz (0: any free port)', 9102, 0, 65_535),
  WEBHOOK_LEASE_MS: env.int(
    'how long a claimed attempt stays with its dispatcher without renewal before another may take it over (after a crash), ms; renewed every third of it while its request runs',
    9_000,
    1_500,
    600_000,
  ),
});

function isCidr(text: string): boolean {
  try {
    parseCidr(text);
    return true;
  } catch {
    return false;
  }
}

export type WebhookDispatcherConfig = z.infer<typeof webhookDispatcherConfigSchema>;

export const loadWebhookDispatcherConfig = (source: NodeJS.ProcessEnv = process.env) =>
  loadConfig(webhookDispatcherConfigSchema, source);
