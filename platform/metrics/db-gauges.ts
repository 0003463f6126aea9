import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../logger';
import type { OpsDb } from './ops-pool';

/**
 * Gauges read from PostgreSQL when Prometheus scrapes (pending transfers, outbox backlog,
 * webhook deliveries waiting), all of one collector from one bounded query per scrape through
 * the ops connections (short timeouts). When the database does not answer the gauges read NaN (no
 * alert fires on a stale number) and `ledger_metrics_collect_failures_total{collector}` counts it;
 * the scrape itself still answers.
 */
export function registerDbGauges<K extends string>(options: {
  registry: Registry;
  db: OpsDb;
  logger: Logger;
  collector: string;
  gauges: Record<K, { name: string; help: string }>;
  /** One bounded query; returns a value per gauge. */
  sample: (db: OpsDb) => Promise<Record<K, number>>;
}): void {
  const failures = collectFailures(options.registry);
  let inFlight: { at: number; values: Promise<Record<K, number> | undefined> } | undefined;
  // Every gauge of the collector is read in the same scrape: they share one query.
  const sampleOnce = (): Promise<Record<K, number> | undefined> => {
    const now = Date.now();
    if (inFlight && now - inFlight.at < SAMPLE_REUSE_MS) return inFlight.values;
    const values = options.sample(options.db).catch((error: unknown) => {
      failures.counter.inc({ collector: options.collector });
      options.logger.debug({ err: error, collector: options.collector }, 'metrics collection failed');
      return undefined;
    });
    inFlight = { at: now, values };
    return values;
  };
  failures.samplers.add(sampleOnce);
  for (const key of Object.keys(options.gauges) as K[]) {
    const spec = options.gauges[key];
    new Gauge({
      name: spec.name,
      help: spec.help,
      registers: [options.registry],
      async collect() {
        const values = await sampleOnce();
        this.set(values ? values[key] : Number.NaN);
      },
    });
  }
}

/** Reads of one scrape, started within this many ms of each other, share one query. */
const SAMPLE_REUSE_MS = 500;

/** The failure counter of a registry, with the reads under way (its scrape waits for them). */
interface Failures {
  counter: Counter<'collector'>;
  /** Each collector's read (shared by the gauges of one scrape). */
  samplers: Set<() => Promise<unknown>>;
}

const failuresByRegistry = new WeakMap<Registry, Failures>();

function collectFailures(registry: Registry): Failures {
  const existing = failuresByRegistry.get(registry);
  if (existing) return existing;
  const samplers = new Set<() => Promise<unknown>>();
  const counter = new Counter({
    name: 'ledger_metrics_collect_failures_total',
    help: 'Scrape-time reads of gauges from PostgreSQL that failed or timed out',
    labelNames: ['collector'] as const,
    registers: [registry],
    // Waits for this scrape's reads (started here or by a gauge): their failures count in it.
    async collect() {
      await Promise.all([...samplers].map((sample) => sample()));
    },
  });
  const failures = { counter, samplers };
  failuresByRegistry.set(registry, failures);
  return failures;
}
