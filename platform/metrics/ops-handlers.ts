import { runChecks, type ReadinessCheck } from './readiness';

/** What an ops route answers, independent of the HTTP framework that serves it. */
export interface OpsResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface OpsHandlers {
  /** The registry in the Prometheus text format. */
  metrics(): Promise<OpsResponse>;
  /** Liveness: answers as long as the event loop runs. */
  healthz(): OpsResponse;
  /** Readiness: 200 when every critical check is up, else 503; the body names each check. */
  readyz(): Promise<OpsResponse>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * A metrics source that cannot answer right now (the cluster primary's workers did not send
 * their series in time): /metrics answers 503, a failed scrape, not a 500.
 */
export class MetricsUnavailable extends Error {
  readonly code = 'metrics_unavailable';
}

/** What /metrics serves: a prom-client Registry, or the cluster primary's aggregate of its workers'. */
export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string>;
}

export function createOpsHandlers(options: {
  registry: MetricsSource;
  checks: readonly ReadinessCheck[];
}): OpsHandlers {
  return {
    async metrics() {
      try {
        return {
          status: 200,
          contentType: options.registry.contentType,
          body: await options.registry.metrics(),
        };
      } catch (error) {
        if (!(error instanceof MetricsUnavailable)) throw error;
        return { status: 503, contentType: 'text/plain', body: `metrics unavailable: ${error.message}\n` };
      }
    },
    healthz() {
      return { status: 200, contentType: JSON_TYPE, body: JSON.stringify({ status: 'ok' }) };
    },
    async readyz() {
      const report = await runChecks(options.checks);
      return {
        status: report.status === 'ready' ? 200 : 503,
        contentType: JSON_TYPE,
        body: JSON.stringify(report),
      };
    },
  };
}

/** Routes of the ops endpoints, for the servers that mount them. */
export const OPS_PATHS = { metrics: '/metrics', healthz: '/healthz', readyz: '/readyz' } as const;
