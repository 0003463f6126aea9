import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_S } from '../../platform/metrics/registry';
import type { InsertResult, NewTransfer } from './data-access/transfers';
import type { CommandPublisher } from './transfers/command-publisher';

/** The API's own series (process metrics are registered with the registry). */
export function createApiMetrics(registry: Registry) {
  const registers = [registry];
  const httpLabels = ['method', 'route', 'status_class'] as const;
  return {
    httpRequests: new Counter({
      name: 'ledger_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status class (2xx, 4xx...)',
      labelNames: httpLabels,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'ledger_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route template and status class',
      labelNames: httpLabels,
      buckets: LATENCY_BUCKETS_S,
      registers,
    }),
    /** Called by the rate limiter: outcome allowed, slowed (past the soft limit), refused (429) or unavailable (Redis down, let through). */
    rateLimitDecisions: new Counter({
      name: 'ledger_rate_limit_decisions_total',
      help: 'Rate-limit decisions, by policy (ip, key) and outcome (allowed, slowed, refused, unavailable)',
      labelNames: ['policy', 'outcome'] as const,
      registers,
    }),
    transfersAccepted: new Counter({
      name: 'ledger_transfers_accepted_total',
      help: 'Transfers accepted (202, a pending row written; replays not counted), by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    sweeperRepublished: new Counter({
      name: 'ledger_pending_sweeper_republished_total',
      help: 'Commands of pending transfers published again by the sweeper (their first publish was lost or late)',
      registers,
    }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/** The pending-row writer, counting the transfers it accepted (a replay of a key inserts nothing). */
export function countingAccepted(
  insert: (transfer: NewTransfer) => Promise<InsertResult>,
  metrics: ApiMetrics,
): (transfer: NewTransfer) => Promise<InsertResult> {
  return async (transfer) => {
    const result = await insert(transfer);
    if (result.inserted) metrics.transfersAccepted.inc({ kind: transfer.command.kind });
    return result;
  };
}

/** The sweeper's publisher, counting each command it published again. */
export function countingRepublished(publisher: CommandPublisher, metrics: ApiMetrics): CommandPublisher {
  return {
    ...publisher,
    async publish(message) {
      await publisher.publish(message);
      metrics.sweeperRepublished.inc();
    },
  };
}
