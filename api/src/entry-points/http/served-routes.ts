import type { Express } from 'express';
import { isRouter, type RouterLayer } from './allowed-methods';

export interface ServedRoute {
  /** As OpenAPI writes path templates: `/v1/accounts/{id}`. */
  path: string;
  /** Lower case, as OpenAPI keys operations: `get`, `post`... (HEAD is express's, beside GET). */
  method: string;
}

const declaredPaths = (layer: RouterLayer): string[] => {
  const raw = Array.isArray(layer.rawPath) ? layer.rawPath : [layer.rawPath];
  return raw.filter((p): p is string => typeof p === 'string');
};

/** `/accounts/:id` → `/accounts/{id}`; mount paths and route paths joined without a doubled slash. */
const join = (prefix: string, path: string) => (path === '/' ? prefix || '/' : prefix + path);
const toTemplate = (path: string) => path.replace(/:(\w+)/g, '{$1}');

function collect(stack: readonly RouterLayer[], prefix: string, into: ServedRoute[]): void {
  for (const layer of stack) {
    if (layer.route) {
      for (const path of declaredPaths(layer))
        for (const [method, on] of Object.entries(layer.route.methods))
          if (on && method !== '_all') into.push({ path: toTemplate(join(prefix, path)), method });
    } else if (isRouter(layer.handle)) {
      for (const path of declaredPaths(layer))
        collect(layer.handle.stack, path === '/' ? prefix : prefix + path, into);
    }
  }
}

/**
 * Every route the app declares, with the prefixes of the routers it is mounted in, read from
 * express's own router (as allowedMethods does): what the OpenAPI document is checked against.
 */
export function servedRoutes(app: Express): ServedRoute[] {
  const routes: ServedRoute[] = [];
  collect(app.router.stack as unknown as RouterLayer[], '', routes);
  return routes;
}
