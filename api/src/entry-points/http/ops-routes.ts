import { Router, type Response } from 'express';
import type { Registry } from 'prom-client';
import { createOpsHandlers, OPS_PATHS, type OpsResponse } from '../../../../platform/metrics/ops-handlers';
import type { ReadinessCheck } from '../../../../platform/metrics/readiness';

/** Paths served by opsRoutes: not logged per request, not counted in the HTTP series. */
export const OPS_ROUTE_PATHS: ReadonlySet<string> = new Set([...Object.values(OPS_PATHS), '/health']);

/**
 * The ops endpoints on the API's own port: /metrics, /healthz (liveness), /readyz (readiness),
 * and /health, kept as an alias of /healthz for what already probes it.
 */
export function opsRoutes(options: { registry: Registry; checks: readonly ReadinessCheck[] }): Router {
  const handlers = createOpsHandlers(options);
  const send = (res: Response, r: OpsResponse) => {
    res.status(r.status).set({ 'Content-Type': r.contentType, 'Cache-Control': 'no-store' }).send(r.body);
  };
  const router = Router();
  router.get(OPS_PATHS.metrics, async (_req, res) => send(res, await handlers.metrics()));
  router.get(OPS_PATHS.readyz, async (_req, res) => send(res, await handlers.readyz()));
  router.get([OPS_PATHS.healthz, '/health'], (_req, res) => send(res, handlers.healthz()));
  return router;
}
