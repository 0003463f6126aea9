import { Pool, type QueryResultRow } from 'pg';
import type { Logger } from '../logger';
import { withTimeout } from '../retry';

/** How long an ops query (a readiness check, a gauge read at scrape time) may take, connecting included. */
export const OPS_QUERY_TIMEOUT_MS = 1_000;

/** PostgreSQL for readiness checks and scrape-time gauges: short queries that give up quickly. */
export interface OpsDb {
  /** @throws when PostgreSQL does not answer within OPS_QUERY_TIMEOUT_MS, or the query fails */
  query<R extends QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  end(): Promise<void>;
}

/**
 * A tiny pool of its own: checks must tell whether PostgreSQL answers, not wait behind the
 * service's busy pool. A query that does not answer in time has its connection discarded (pg
 * destroys the socket of a client ended mid-query), so an unreachable server never holds the
 * pool's few connections and the next check connects afresh.
 */
export function createOpsDb(options: { url: string; applicationName: string; logger: Logger }): OpsDb {
  const pool = new Pool({
    connectionString: options.url,
    max: 2,
    application_name: `${options.applicationName}-ops`,
    connectionTimeoutMillis: OPS_QUERY_TIMEOUT_MS,
    statement_timeout: OPS_QUERY_TIMEOUT_MS,
    idleTimeoutMillis: 10_000,
  });
  // An idle connection dropped by the server is emitted here; unhandled it would end the process.
  pool.on('error', (error) => options.logger.debug({ err: error }, 'ops connection to PostgreSQL lost'));
  return {
    async query<R extends QueryResultRow>(sql: string, params: unknown[] = []) {
      const client = await pool.connect();
      // A connection lost mid-query is also emitted on the client: unheard, it would end the process.
      const lost = (error: Error) =>
        options.logger.debug({ err: error }, 'ops connection to PostgreSQL lost');
      client.on('error', lost);
      try {
        const result = await withTimeout(client.query<R>(sql, params), OPS_QUERY_TIMEOUT_MS, 'ops query');
        client.off('error', lost);
        client.release();
        return result.rows;
      } catch (error) {
        // Discarded, not reused; the listener stays for what the dying connection still emits.
        client.release(error as Error);
        throw error;
      }
    },
    end: () => pool.end(),
  };
}
