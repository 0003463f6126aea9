import { Counter, Histogram, type Registry } from 'prom-client';
import { WAIT_BUCKETS_S } from '../../platform/metrics/registry';
import type { ClaimedAttempt } from './data-access/attempt-claims';
import type { Decision } from './domain/attempt-outcome';

// Every outcome and disabling reason, checked exhaustive by the compiler (a new Decision kind
// must be added here).
const OUTCOMES = Object.keys({
  delivered: 0,
  retry: 0,
  give_up: 0,
  disable_endpoint: 0,
} satisfies Record<Decision['kind'], 0>);
const DISABLE_REASONS = Object.keys({ gone: 0, failing: 0 } satisfies Record<
  Extract<Decision, { kind: 'disable_endpoint' }>['reason'],
  0
>);

/** The dispatcher's own series (process metrics, consumer lag and backlog gauges are registered elsewhere). */
export function createDispatcherMetrics(registry: Registry) {
  const registers = [registry];
  const metrics = {
    attempts: new Counter({
      name: 'ledger_webhook_attempts_total',
      help: 'Delivery attempts, by what followed: delivered, retry, give_up, disable_endpoint',
      labelNames: ['outcome'] as const,
      registers,
    }),
    firstAttemptLatency: new Histogram({
      name: 'ledger_webhook_first_attempt_latency_seconds',
      help: "From the event's occurrence to the end of the first attempt of a delivery round",
      buckets: WAIT_BUCKETS_S,
      registers,
    }),
    endpointsDisabled: new Counter({
      name: 'ledger_webhook_endpoints_disabled_total',
      help: 'Endpoints the dispatcher disabled, by reason: gone (410) or failing (no success for days)',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
  // Exposed at 0 from the start (bounded label sets): increase() and rate() see the first event
  // of a series only if the series existed before it.
  for (const outcome of OUTCOMES) metrics.attempts.inc({ outcome }, 0);
  for (const reason of DISABLE_REASONS) metrics.endpointsDisabled.inc({ reason }, 0);
  return metrics;
}

export type DispatcherMetrics = ReturnType<typeof createDispatcherMetrics>;

type Deliver = (claimed: ClaimedAttempt, sent: () => void) => Promise<Decision>;

/** The delivery function, counting each attempt by the decision that followed it. */
export function countingDeliveries(deliver: Deliver, metrics: DispatcherMetrics): Deliver {
  return async (claimed, sent) => {
    const decision = await deliver(claimed, sent);
    metrics.attempts.inc({ outcome: decision.kind });
    if (decision.kind === 'disable_endpoint') metrics.endpointsDisabled.inc({ reason: decision.reason });
    if (claimed.schedule_index === 0) {
      const occurred = occurredAt(claimed.body);
      if (occurred !== undefined)
        metrics.firstAttemptLatency.observe(Math.max(0, Date.now() - occurred) / 1000);
    }
    return decision;
  };
}

const CREATED_AT = '"created_at":"';

/**
 * The event time of a webhook body (`{"id","type","created_at",...}`, see webhookBody), found
 * without parsing the whole JSON: it sits near the start.
 */
function occurredAt(body: string): number | undefined {
  const at = body.indexOf(CREATED_AT);
  if (at < 0 || at > 200) return undefined;
  const start = at + CREATED_AT.length;
  const end = body.indexOf('"', start);
  const time = Date.parse(body.slice(start, end));
  return Number.isNaN(time) ? undefined : time;
}
