import type { Registry } from 'prom-client';
import type { Logger } from '../../../platform/logger';
import { registerDbGauges } from '../../../platform/metrics/db-gauges';
import type { OpsDb } from '../../../platform/metrics/ops-pool';

/** Counts stop here: past it the number is "at least", and the query stays cheap. */
const COUNT_MAX = 100_000;

/**
 * Scrape-time gauges of deliveries due and not yet sent (of this dispatcher's events topic),
 * and how long the oldest has waited: an index scan of webhook_attempts_due bounded by COUNT_MAX.
 */
export function registerDeliveryBacklogGauges(
  registry: Registry,
  db: OpsDb,
  logger: Logger,
  sourceTopic: string,
): void {
  registerDbGauges({
    registry,
    db,
    logger,
    collector: 'webhook_backlog',
    gauges: {
      waiting: {
        name: 'ledger_webhook_deliveries_waiting',
        help: `Delivery attempts due and not yet done, those in flight included (at most ${COUNT_MAX})`,
      },
      oldestAge: {
        name: 'ledger_webhook_oldest_waiting_age_seconds',
        help: 'How long the longest-waiting due attempt has been due; 0 when there is none',
      },
    },
    async sample(ops) {
      const rows = await ops.query<{ waiting: number; oldest_age: number }>(
        `SELECT (SELECT count(*) FROM (SELECT 1 FROM webhook_attempts
                  WHERE source_topic = $1 AND status = 'scheduled' AND due_at <= now() LIMIT $2) w)::int AS waiting,
                coalesce(extract(epoch FROM now() - (SELECT min(due_at) FROM webhook_attempts
                  WHERE source_topic = $1 AND status = 'scheduled')), 0)::float8 AS oldest_age`,
        [sourceTopic, COUNT_MAX],
      );
      const r = rows[0]!;
      return { waiting: r.waiting, oldestAge: Math.max(0, r.oldest_age) };
    },
  });
}
