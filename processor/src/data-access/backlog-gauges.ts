import type { Registry } from 'prom-client';
import type { Logger } from '../../../platform/logger';
import { registerDbGauges } from '../../../platform/metrics/db-gauges';
import type { OpsDb } from '../../../platform/metrics/ops-pool';

/** Counts stop here: past it the number is "at least", and the query stays cheap. */
const COUNT_MAX = 100_000;

/**
 * Scrape-time gauges of work waiting in PostgreSQL: accepted transfers not yet final (and how
 * old the oldest is: the 202 promise kept late), outbox rows not yet relayed to Kafka. Each
 * read is an index scan bounded by COUNT_MAX (transfers_pending; outbox_batches' primary key).
 */
export function registerBacklogGauges(registry: Registry, db: OpsDb, logger: Logger): void {
  registerDbGauges({
    registry,
    db,
    logger,
    collector: 'processor_backlog',
    gauges: {
      pending: {
        name: 'ledger_transfers_pending',
        help: `Transfers accepted and not yet final (at most ${COUNT_MAX})`,
      },
      pendingAge: {
        name: 'ledger_transfers_oldest_pending_age_seconds',
        help: 'Age of the oldest transfer accepted and not yet final; 0 when there is none',
      },
      outboxRows: {
        name: 'ledger_outbox_backlog_batches',
        help: `Outbox rows (one per committed batch) not yet relayed to Kafka (at most ${COUNT_MAX})`,
      },
      outboxAge: {
        name: 'ledger_outbox_oldest_age_seconds',
        help: 'Age of the oldest outbox row not yet relayed; 0 when there is none',
      },
    },
    async sample(ops) {
      const rows = await ops.query<{
        pending: number;
        pending_age: number;
        outbox_rows: number;
        outbox_age: number;
      }>(
        `SELECT (SELECT count(*) FROM (SELECT 1 FROM transfers WHERE status = 'pending' LIMIT $1) p)::int AS pending,
                coalesce(extract(epoch FROM now() - (SELECT min(created_at) FROM transfers WHERE status = 'pending')), 0)::float8 AS pending_age,
                (SELECT count(*) FROM (SELECT 1 FROM outbox_batches LIMIT $1) o)::int AS outbox_rows,
                coalesce(extract(epoch FROM now() - (SELECT created_at FROM outbox_batches ORDER BY id LIMIT 1)), 0)::float8 AS outbox_age`,
        [COUNT_MAX],
      );
      const r = rows[0]!;
      return {
        pending: r.pending,
        pendingAge: r.pending_age,
        outboxRows: r.outbox_rows,
        outboxAge: r.outbox_age,
      };
    },
  });
}
