import type { RequestHandler } from 'express';
import { createApp, type AppDeps } from '../../create-app';
import { loadApiConfig } from '../../config';
import { limitSettingsOf } from '../../create-rate-limits';
import { buildOpenApiDocument } from './openapi';
import { servedRoutes } from './served-routes';

/** Served on the API's port but not part of the API the document describes. */
const NOT_DOCUMENTED = new Set(['/metrics', '/healthz', '/readyz', '/health', '/openapi.json']);

/**
 * The app as start-api builds it. Only its routes are read: no request is made, so the clients
 * behind them (PostgreSQL, Redis, Kafka) are never touched and are left out.
 */
function app() {
  const config = loadApiConfig({});
  const passThrough: RequestHandler = (_req, _res, next) => next();
  const unused = {} as never;
  const deps: AppDeps = {
    config,
    logger: unused,
    pool: unused,
    redis: unused,
    auth: { authenticate: passThrough, revoked: unused },
    rateLimits: { enabled: false, settings: limitSettingsOf(config), limiter: unused, blocks: unused },
    accounts: unused,
    publisher: unused,
    pending: unused,
    openapi: {},
    ops: { registry: unused, metrics: { httpRequests: unused, httpDuration: unused } as never, checks: [] },
  };
  return createApp(deps);
}

const key = (r: { path: string; method: string }) => `${r.method.toUpperCase()} ${r.path}`;

describe('the OpenAPI document and the routes express serves', () => {
  const served = servedRoutes(app())
    .filter((r) => !NOT_DOCUMENTED.has(r.path))
    .map(key);
  const paths = buildOpenApiDocument().paths ?? {};
  const documented = Object.entries(paths).flatMap(([path, item]) =>
    Object.keys(item ?? {})
      .filter((m) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
      .map((method) => key({ path, method })),
  );

  it('reads the routes from express (the check has teeth)', () => {
    expect(served).toEqual(expect.arrayContaining(['POST /v1/transfers', 'GET /v1/accounts/{id}']));
    expect(served.length).toBeGreaterThan(20);
  });

  it('documents every route express serves', () => {
    expect(served.filter((r) => !documented.includes(r))).toEqual([]);
  });

  it('documents no route express does not serve', () => {
    expect(documented.filter((r) => !served.includes(r))).toEqual([]);
  });
});
