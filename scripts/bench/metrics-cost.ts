/**
 * What the metrics cost on the hot paths, measured in-process without any infrastructure: the
 * per-request work of the API's HTTP series, the per-batch work of the processor's series, and
 * one scrape. `node -r @swc-node/register scripts/bench/metrics-cost.ts`
 */
import { Counter, Histogram } from 'prom-client';
import { createMetricsRegistry, LATENCY_BUCKETS_S } from '../../platform/metrics/registry';
import { batchMetrics, createProcessorMetrics } from '../../processor/src/metrics';
import type { Outcome } from '../../processor/src/domain/types';

function perOp(label: string, ops: number, run: () => void): void {
  for (let i = 0; i < ops / 10; i++) run(); // warm-up
  const started = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) run();
  const ns = Number(process.hrtime.bigint() - started) / ops;
  console.log(`${label}: ${ns.toFixed(0)} ns`);
}

async function main(): Promise<void> {
  const registry = createMetricsRegistry();
  const labelNames = ['method', 'route', 'status_class'] as const;
  const requests = new Counter({ name: 'r_total', help: 'h', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'd_seconds',
    help: 'h',
    labelNames,
    buckets: LATENCY_BUCKETS_S,
    registers: [registry],
  });
  const routes = ['/v1/transfers', '/v1/transfers/:id', '/v1/accounts', '/v1/accounts/:id/balance'];
  let n = 0;
  perOp('one API request (counter + histogram, 3 labels)', 1_000_000, () => {
    const labels = { method: 'POST', route: routes[n++ % routes.length]!, status_class: '2xx' };
    requests.inc(labels);
    duration.observe(labels, 0.004);
  });

  const metrics = createProcessorMetrics(registry);
  const observer = batchMetrics(metrics);
  const createdAt = new Date();
  const outcomes = Array.from(
    { length: 1000 },
    (_, i) =>
      ({
        command: { kind: i % 10 === 0 ? 'deposit' : 'transfer' },
        status: i % 50 === 0 ? 'rejected' : 'committed',
        reason: i % 50 === 0 ? 'insufficient_funds' : null,
        write: 'update',
        createdAt,
      }) as unknown as Outcome,
  );
  perOp('one committed batch of 1,000 commands', 2_000, () =>
    observer.batchCommitted(outcomes, 1000, performance.now()),
  );

  const started = performance.now();
  const scrapes = 200;
  for (let i = 0; i < scrapes; i++) await registry.metrics();
  console.log(`one scrape: ${((performance.now() - started) / scrapes).toFixed(2)} ms`);
}

void main();
