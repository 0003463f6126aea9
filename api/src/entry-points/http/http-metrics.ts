import type { Request, RequestHandler } from 'express';
import type { ApiMetrics } from '../../metrics';

/**
 * Counts and times every request by method, route TEMPLATE (`/v1/accounts/:id`, never the path
 * with its ids: label values must stay few) and status class. A request no route matched is
 * `unmatched`: no such route (404), or refused before routing (401, 429). Only an observation
 * on finish: nothing more on the request's path.
 */
export function httpMetrics(metrics: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      const labels = {
        method: methodLabel(req.method),
        route: routeTemplate(req),
        status_class: `${Math.floor(res.statusCode / 100)}xx`,
      };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
    });
    next();
  };
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The matched route's template with the prefix of the routers it is mounted in. `req.baseUrl` is
 * that prefix while the route runs, but an error passed on to the app's error handler leaves
 * the routers and resets it; the prefix is then the leading path segments the route's own
 * template does not cover (mount paths here are static: `/v1`).
 */
export function routeTemplate(req: Request): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route !== 'string') return 'unmatched';
  if (req.baseUrl) return req.baseUrl + route;
  const path = req.originalUrl.split('?')[0]!;
  const segments = path.split('/').filter(Boolean);
  const own = route.split('/').filter(Boolean).length;
  const prefix = segments.slice(0, Math.max(0, segments.length - own));
  return (prefix.length > 0 ? `/${prefix.join('/')}` : '') + route;
}

/** The method as a label value: one of the HTTP methods served, or OTHER. */
export const methodLabel = (method: string): string => (METHODS.has(method) ? method : 'OTHER');
