import { Pool, type PoolClient, types } from 'pg';
import type { Logger } from './logger';
import { untilItWorks, withTimeout } from './retry';

// BIGINT and NUMERIC arrive as strings; money code turns them into bigint itself. Never Number.
types.setTypeParser(types.builtins.INT8, (v) => v);
types.setTypeParser(types.builtins.NUMERIC, (v) => v);

export type { Pool, PoolClient };

export interface PoolOptions {
  url: string;
  max: number;
  applicationName: string;
  /** Where a lost connection is reported (once per outage); silent when absent. */
  logger?: Logger;
  /** Longest wait for a new connection, ms: a request never waits longer on an unreachable database. */
  connectionTimeout_ms?: number;
}

/**
 * A pool that survives the database going away. node-postgres emits a broken connection's error
 * on the pool (idle clients) or on the client itself (one held checked out: a LISTEN connection,
 * a transaction between two statements); with no listener, Node ends the process. Every client
 * gets one as it is created, so an outage only fails the queries under way, the broken clients are
 * discarded on release, and the next `connect` reaches the database again once it is back.
 */
export function createPool(options: PoolOptions): Pool {
  const pool = new Pool({
    connectionString: options.url,
    max: options.max,
    application_name: options.applicationName,
    connectionTimeoutMillis: options.connectionTimeout_ms ?? 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 30_000,
  });
  let lost = false;
  const onError = (error: Error) => {
    if (lost) return;
    lost = true;
    options.logger?.warn({ err: error }, 'PostgreSQL connection lost; reconnecting on next use');
  };
  pool.on('error', onError);
  pool.on('connect', (client) => {
    if (lost) options.logger?.info('PostgreSQL connection re-established');
    lost = false;
    client.on('error', onError);
  });
  return pool;
}

/** Runs fn in one transaction; rolls back on any error and rethrows it. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** SQLSTATE of a PostgreSQL error, if it is one. */
export function pgErrorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

export const PG_UNIQUE_VIOLATION = '23505';

const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
]);
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'ENOENT',
]);

/**
 * Whether an error says the database is out of reach (down, starting, restarting, unreachable),
 * as opposed to a problem with the statement: the former is retried or answered 503, never 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = pgErrorCode(error);
  if (code)
    return UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || UNAVAILABLE_NODE_CODES.has(code);
  if (!(error instanceof Error)) return false;
  // node-postgres reports a dropped or refused connection with plain Errors; their messages are all it gives.
  return /Connection terminated|timeout exceeded when trying to connect|connection error|Client has encountered a connection error/i.test(
    error.message,
  );
}

/** Whether the database answers a trivial query within `timeout_ms` (a health probe, never throws). */
export async function databaseAnswers(pool: Pool, timeout_ms = 1_500): Promise<boolean> {
  return withTimeout(pool.query('SELECT 1'), timeout_ms, 'PostgreSQL probe').then(
    () => true,
    () => false,
  );
}

/**
 * Resolves once PostgreSQL answers: a service started before its database (a machine booting, a
 * failover under way) waits for it and says so, "connecting to PostgreSQL: waiting" at the first
 * failure and every tenth retry (backoff AWAIT_DEPENDENCY), "…: done" once it answers.
 * @throws the last error once `stopped()` says the service is stopping
 */
export async function untilDatabaseAnswers(
  pool: Pool,
  logger: Logger,
  stopped: () => boolean,
): Promise<void> {
  await untilItWorks('connecting to PostgreSQL', () => pool.query('SELECT 1'), { logger, stopped });
}
