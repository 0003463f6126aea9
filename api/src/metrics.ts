import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { TransferRecordKind } from '../../contracts/src';
import { LATENCY_BUCKETS_S } from '../../platform/metrics/registry';
import type { InsertResult, NewTransfer } from './data-access/transfers';
import type { RateLimitStats } from './use-cases/rate-limiter';
import type { Decision } from './domain/rate-limits/decision';
import type { RateLimitDecisions } from './entry-points/http/rate-limit';
import type { CommandPublisher } from './data-access/command-publisher';

/** The API's own series (process metrics are registered with the registry). */
export function createApiMetrics(registry: Registry) {
  const registers = [registry];
  const httpLabels = ['method', 'route', 'status_class'] as const;
  const metrics = {
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
    /** Called by the rate limiter: outcome admitted, limited (429 rate_limited) or blocked (429 rate_limit_blocked). */
    rateLimitDecisions: rateLimitDecisions(registry),
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
  // Exposed at 0 from the start, so that rate() and increase() count the first of each (a series
  // born at 1 reads as no increase). Expiries are never accepted here: the processor makes them.
  for (const kind of TransferRecordKind.options)
    if (kind !== 'expire') metrics.transfersAccepted.inc({ kind }, 0);
  return metrics;
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

const OUTCOMES: readonly Decision['outcome'][] = ['admitted', 'limited', 'blocked'];

/**
 * Rate-limit decisions, one per request: counted in plain numbers and handed to the registry when
 * scraped, since prom-client's label handling on every request would cost more than the decision
 * itself (a lease spent in memory).
 */
function rateLimitDecisions(registry: Registry): RateLimitDecisions {
  const counts = new Map<string, Record<Decision['outcome'], number>>();
  new Counter({
    name: 'ledger_rate_limit_decisions_total',
    help: 'Rate-limit decisions, by the policy that decided (e.g. key-write) and outcome (admitted, limited, blocked)',
    labelNames: ['policy', 'outcome'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [policy, byOutcome] of counts)
        for (const outcome of OUTCOMES) this.inc({ policy, outcome }, byOutcome[outcome]);
    },
  });
  return {
    count(policy, outcome) {
      let byOutcome = counts.get(policy);
      if (!byOutcome) counts.set(policy, (byOutcome = { admitted: 0, limited: 0, blocked: 0 }));
      byOutcome[outcome]++;
    },
  };
}

/** The pending-row writer, counting the transfers it accepted (a replay of a key inserts nothing). */
export function countingAccepted(
  insert: (transfer: NewTransfer) => Promise<InsertResult>,
  metrics: ApiMetrics,
): (transfer: NewTransfer) => Promise<InsertResult> {
  return async (transfer) => {
    const result = await insert(transfer);
    if (result.inserted) metrics.transfersAccepted.inc({ kind: transfer.kind });
    return result;
  };
}

/** The sweeper's publisher, counting the commands it published again. */
export function countingRepublished(
  publisher: Pick<CommandPublisher, 'probe' | 'available' | 'onRecovered'>,
  metrics: ApiMetrics,
): Pick<CommandPublisher, 'probe' | 'available' | 'onRecovered'> {
  return {
    async probe(messages) {
      await publisher.probe(messages);
      if (messages.length > 0) metrics.sweeperRepublished.inc(messages.length);
    },
    get available() {
      return publisher.available;
    },
    onRecovered: (listener) => publisher.onRecovered(listener),
  };
}

/** The limiter's own counters, read at scrape time: where decisions are made (Redis or memory). */
export function registerRateLimitStats(registry: Registry, stats: RateLimitStats): void {
  new Gauge({
    name: 'ledger_rate_limit_fallback_active',
    help: '1 while rate limits are decided in memory (Redis unreachable), else 0',
    registers: [registry],
    collect() {
      this.set(stats.fallback_active ? 1 : 0);
    },
  });
  new Counter({
    name: 'ledger_rate_limit_store_decisions_total',
    help: 'Rate-limit decisions by where they were made: redis, lease (admitted from tokens Redis leased the process), or memory (each process its share) while Redis is down',
    labelNames: ['store'] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ store: 'redis' }, stats.decisions_redis);
      this.inc({ store: 'lease' }, stats.decisions_leased);
      this.inc({ store: 'memory' }, stats.decisions_memory);
    },
  });
}
