import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '../../platform/logger';
import { MetricsUnavailable } from '../../platform/metrics/ops-handlers';
import { startOpsServer, type OpsServer } from '../../platform/metrics/ops-server';
import { withTimeout } from '../../platform/retry';
import type { ApiConfig } from './config';

/**
 * With API_WORKERS > 1 every worker counts its own requests, and a scrape of the shared API port
 * reaches one worker at random: its counters alone, different at each scrape. So each worker
 * hands its registry to the cluster primary on request (prom-client's IPC), and the primary
 * serves the sum on its own ops port, API_OPS_PORT, which is what Prometheus scrapes then.
 */

/** In a worker: lets the primary collect this registry. No effect in a single process. */
export function shareWithPrimary(registry: Registry): void {
  if (!cluster.isWorker) return;
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // installs the worker's answer to the primary's requests
}

/**
 * In the primary: /metrics (every worker's series, summed), /healthz, and /readyz, which is the
 * readiness of a worker as the API port answers it.
 */
export async function startClusterOps(config: ApiConfig, logger: Logger): Promise<OpsServer> {
  const aggregator = new AggregatorRegistry();
  const apiUrl = `http://${config.API_HOST === '0.0.0.0' ? '127.0.0.1' : config.API_HOST}:${config.API_PORT}`;
  return startOpsServer({
    host: config.OPS_HOST,
    port: config.API_OPS_PORT,
    registry: {
      contentType: aggregator.contentType,
      // prom-client gives up after 5 s when a worker does not answer (busy, or exiting): a failed
      // scrape for Prometheus to retry, not a server error.
      metrics: () =>
        aggregator.clusterMetrics().catch((error: unknown) => {
          throw new MetricsUnavailable('not every API worker sent its series in time', { cause: error });
        }),
    },
    checks: [
      {
        name: 'api_workers',
        critical: true,
        async run() {
          const res = await withTimeout(fetch(`${apiUrl}/readyz`), 1_000, 'a worker readiness probe');
          return { ok: res.ok, detail: `a worker answered ${res.status}` };
        },
      },
    ],
    logger: logger.child({ component: 'ops' }),
  });
}
