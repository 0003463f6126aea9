import { z } from 'zod';
import { baseConfigShape, env, loadConfig } from '../../platform/config';

export const processorConfigSchema = z.object({
  ...baseConfigShape,
  PROCESSOR_GROUP_ID: env.string('Kafka consumer group of the processors', 'ledger-processor'),
  PROCESSOR_BATCH_SIZE_MAX: env.int('commands committed per database transaction', 1000, 1, 10_000),
  PROCESSOR_PARTITIONS_CONCURRENCY: env.int('partitions processed at once by one process', 4, 1, 64),
  PROCESSOR_FETCH_MAX_WAIT_MS: env.int('longest a fetch waits for data, ms', 20, 0, 5_000),
  PROCESSOR_RETRY_BACKOFF_MAX_MS: env.int(
    'longest pause between retries of a failed batch, ms',
    5_000,
    10,
    60_000,
  ),
  PROCESSOR_SESSION_TIMEOUT_MS: env.int(
    'how long the consumer group waits for a silent processor before handing its partitions to others, ms (the broker accepts 6,000 and up)',
    6_000,
    6_000,
    300_000,
  ),
  PROCESSOR_DB_POOL_MAX: env.int('PostgreSQL connections', 8, 2, 100),
  PROCESSOR_DB_CONNECT_TIMEOUT_MS: env.int(
    'longest wait for a new PostgreSQL connection before the batch fails (and is retried), ms',
    2_000,
    100,
    60_000,
  ),
  PROCESSOR_FETCH_PARTITION_BYTES_MAX: env.int(
    'bytes of commands one Kafka fetch may hold per partition (1 MiB is ~2,500 commands)',
    1024 * 1024,
    64 * 1024,
    256 * 1024 * 1024,
  ),
  PROCESSOR_FETCH_BYTES_MAX: env.int(
    'bytes of commands one Kafka fetch may hold in all (bounds the consumer memory)',
    8 * 1024 * 1024,
    64 * 1024,
    1024 * 1024 * 1024,
  ),
  PROCESSOR_ACCOUNT_CACHE_MAX: env.int(
    'account currencies kept in memory (least recently used go first)',
    200_000,
    1,
    10_000_000,
  ),
  PROCESSOR_TENANT_CACHE_MAX: env.int(
    'tenants known to exist kept in memory (least recently used go first)',
    50_000,
    1,
    10_000_000,
  ),
  OUTBOX_BATCH_SIZE_MAX: env.int('events relayed per round (whole batches, at least one)', 6000, 1, 50_000),
  OUTBOX_REQUEST_BYTES_MAX: env.int(
    'payload bytes per Kafka request of the relay (below the broker message.max.bytes)',
    512 * 1024,
    1024,
    64 * 1024 * 1024,
  ),
  OUTBOX_POLL_INTERVAL_MS: env.int('how often the relay looks for rows when idle, ms', 200, 10, 60_000),
  HOLD_EXPIRY_INTERVAL_MS: env.int(
    'how often the processor looks for holds past expires_at, ms',
    1_000,
    10,
    60_000,
  ),
  HOLD_EXPIRY_AGAIN_AFTER_MS: env.int(
    'a due hold still open this long after its expiry was published gets it published again, ms',
    30_000,
    100,
    3_600_000,
  ),
  HOLD_EXPIRY_BATCH_SIZE_MAX: env.int(
    'due holds claimed and sent their expiry command per round of the sweeper',
    500,
    1,
    10_000,
  ),
  HOLD_EXPIRY_SEND_TIMEOUT_MS: env.int(
    'longest wait for Kafka to take a round of expiry commands before the round fails (and its holds are asked for again after HOLD_EXPIRY_AGAIN_AFTER_MS), ms',
    10_000,
    100,
    300_000,
  ),
  OPS_HOST: env.string('interface of the ops port (/metrics, /healthz, /readyz)', '127.0.0.1'),
  PROCESSOR_OPS_PORT: env.int(
    'TCP port of /metrics, /healthz and /readyz (0: any free port)',
    9101,
    0,
    65_535,
  ),
});

export type ProcessorConfig = z.infer<typeof processorConfigSchema>;

export const loadProcessorConfig = (source: NodeJS.ProcessEnv = process.env) =>
  loadConfig(processorConfigSchema, source);
