import type { Express, RequestHandler } from 'express';
import { ApiError } from './api-error';

/**
 * The part of express's router (the `router` package) read here: its layers, each a route with
 * its methods or a mounted router with its own stack. `layer.match` is the router's own matcher,
 * so the paths answered here are exactly the ones routing would reach, with no second table of
 * routes to keep in step. Structural, because @types/express types the stack loosely.
 */
export interface RouterLayer {
  route?: { methods: Record<string, boolean | undefined> } | undefined;
  handle: unknown;
  /** The path (or paths) the layer was declared with: `/accounts/:id`, or a mount path such as `/v1`. */
  rawPath?: unknown;
  match(path: string): { path: string } | false;
}

export const isRouter = (handle: unknown): handle is { stack: RouterLayer[] } =>
  typeof handle === 'function' && Array.isArray((handle as { stack?: unknown }).stack);

/** Collects into `into` the methods of every route under `stack` whose path matches `path`. */
function collect(stack: readonly RouterLayer[], path: string, into: Set<string>): void {
  for (const layer of stack) {
    let match: { path: string } | false;
    try {
      match = layer.match(path);
    } catch {
      continue; // a parameter that does not percent-decode: routing itself answers that with a 400
    }
    if (!match) continue;
    if (layer.route) {
      for (const [method, on] of Object.entries(layer.route.methods))
        if (on && method !== '_all') into.add(method.toUpperCase());
      if (layer.route.methods.get) into.add('HEAD');
    } else if (isRouter(layer.handle)) {
      // As the router does: a mount path matches only up to a segment boundary.
      const rest = path.slice(match.path.length);
      if (rest === '' || rest.startsWith('/')) collect(layer.handle.stack, rest || '/', into);
    }
  }
}

/** The methods the app's routes declare for `path`, with OPTIONS; empty when no route has the path. */
export function allowedMethods(app: Express, path: string): string[] {
  const methods = new Set<string>();
  collect(app.router.stack as unknown as RouterLayer[], path, methods);
  if (methods.size > 0) methods.add('OPTIONS');
  return [...methods].sort();
}

/**
 * `OPTIONS` on a known path: 204 with `Allow` (and no body), answered before authentication as
 * it reveals only what the OpenAPI document already says. Replaces the router's automatic reply,
 * which is plain text. An unknown path goes on to the usual 401 / 404.
 */
export function answerOptions(app: Express): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'OPTIONS') return next();
    const allow = allowedMethods(app, req.path);
    if (allow.length === 0) return next();
    res.status(204).set('Allow', allow.join(', ')).end();
  };
}

/**
 * Placed after every route: a request that no route took, on a path some route has, is a 405
 * with `Allow`, not a 404. On protected paths it runs after authentication, as every other answer.
 * @throws ApiError method_not_allowed
 */
export function methodNotAllowed(app: Express): RequestHandler {
  return (req, _res, next) => {
    const allow = allowedMethods(app, req.path);
    if (allow.length === 0) return next();
    throw new ApiError('method_not_allowed', `${req.method} is not allowed on ${req.path}`, undefined, {
      Allow: allow.join(', '),
    });
  };
}
