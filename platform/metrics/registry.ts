import { collectDefaultMetrics, Registry } from 'prom-client';

export type { Registry };

/**
 * A registry of one service instance, with Node's process metrics (CPU, memory, event-loop lag,
 * GC) collected into it. One per instance, passed in: several services may share a process
 * (the tests run the API and the processor side by side) and each must count only its own work.
 */
export function createMetricsRegistry(
  options: { processMetrics: boolean } = { processMetrics: true },
): Registry {
  const registry = new Registry();
  // eventLoopMonitoringPrecision: the histogram of event-loop delay samples every 10 ms.
  if (options.processMetrics) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  return registry;
}

/** Buckets of latencies from a millisecond to a minute, in seconds. */
export const LATENCY_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** Buckets of end-to-end waits (queues, retries): from 5 ms to an hour, in seconds. */
export const WAIT_BUCKETS_S = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
];
