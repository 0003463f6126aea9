import express, { type Express, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../../platform/logger';
import type { ReadinessCheck } from '../../platform/metrics/readiness';
import type { Pool } from '../../platform/postgres';
import type { Redis } from '../../platform/redis';
import type { ApiKeyAuth } from './entry-points/http/authenticate';
import type { ApiConfig } from './config';
import { answerOptions, methodNotAllowed } from './entry-points/http/allowed-methods';
import { errorHandler, requireJson, routeNotFound } from './entry-points/http/error-handler';
import { httpMetrics } from './entry-points/http/http-metrics';
import { OPS_ROUTE_PATHS, opsRoutes } from './entry-points/http/ops-routes';
import { rateLimit } from './entry-points/http/rate-limit';
import { clientBucket } from './domain/rate-limits/client-ip';
import type { RateLimits } from './create-rate-limits';
import { limitsFor, routeClassOf } from './domain/rate-limits/policies';
import { requestLog } from './entry-points/http/request-log';
import { accountBalanceRoutes } from './entry-points/http/routes/account-balances';
import { accountRoutes } from './entry-points/http/routes/accounts';
import { apiKeyRoutes } from './entry-points/http/routes/api-keys';
import { fxRateRoutes } from './entry-points/http/routes/fx-rates';
import { rateLimitBlockRoutes } from './entry-points/http/routes/rate-limit-blocks';
import { tenantRoutes } from './entry-points/http/routes/tenants';
import { transferRoutes } from './entry-points/http/routes/transfers';
import { holdRoutes } from './entry-points/http/routes/holds';
import { refundRoutes } from './entry-points/http/routes/refunds';
import { webhookEndpointRoutes } from './entry-points/http/routes/webhook-endpoints';
import type { ApiMetrics } from './metrics';
import type { AccountDirectory } from './data-access/account-directory';
import type { CommandPublisher } from './data-access/command-publisher';
import type { PendingWriter } from './data-access/pending-writer';

export interface AppDeps {
  config: ApiConfig;
  logger: Logger;
  pool: Pool;
  redis: Redis;
  auth: ApiKeyAuth;
  rateLimits: RateLimits;
  accounts: AccountDirectory;
  publisher: Pick<CommandPublisher, 'publish'>;
  pending: PendingWriter;
  openapi: object;
  /** /metrics, /healthz, /readyz: the registry, the API's series, the readiness checks. */
  ops: { registry: Registry; metrics: ApiMetrics; checks: readonly ReadinessCheck[] };
}

/** The HTTP entry point: request ids and logs, JSON only, limits, auth, routes, one error format. */
export function createApp(deps: AppDeps): Express {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For is believed only from the configured proxies (none by default): anyone else
  // could pick their own client IP, and with it a fresh rate-limit budget per request.
  app.set('trust proxy', config.API_TRUSTED_PROXIES.length > 0 ? config.API_TRUSTED_PROXIES : false);
  app.set('query parser', 'simple');

  app.use(requestLog(deps.logger, (url) => OPS_ROUTE_PATHS.has(url)));
  app.use(answerOptions(app));
  app.use(opsRoutes(deps.ops));
  if (config.METRICS_ENABLED) app.use(httpMetrics(deps.ops.metrics));
  app.get('/openapi.json', (_req, res) => {
    res.json(deps.openapi);
  });
  app.use(requireJson);
  app.use(express.json({ limit: config.API_BODY_BYTES_MAX, strict: true, type: 'application/json' }));

  const { limiter, settings } = deps.rateLimits;
  const passThrough: RequestHandler = (_req, _res, next) => next();
  const limited = (limitsOf: Parameters<typeof rateLimit>[2]): RequestHandler =>
    deps.rateLimits.enabled
      ? rateLimit(
          limiter,
          settings.backoff,
          limitsOf,
          config.METRICS_ENABLED ? deps.ops.metrics.rateLimitDecisions : undefined,
        )
      : passThrough;
  const perIp = limited((req) =>
    limitsFor(settings, { class: 'signup', ip: clientBucket(req.ip ?? 'unknown') }),
  );
  // Per API key and per tenant (its ceiling over all its keys), by route class: the method, never the path.
  const perKey = limited((req, res) =>
    limitsFor(settings, {
      class: routeClassOf(req.method),
      keyId: res.locals.apiKeyId,
      tenantId: res.locals.tenantId,
    }),
  );

  const publicPath = (path: string) =>
    config.API_PUBLIC_URL ? new URL(path, config.API_PUBLIC_URL).toString() : path;
  app.use('/v1', fxRateRoutes({ pool: deps.pool, adminToken: config.ADMIN_TOKEN }));
  app.use(
    '/v1',
    rateLimitBlockRoutes({ blocks: deps.rateLimits.blocks, limiter, adminToken: config.ADMIN_TOKEN }),
  );
  app.use('/v1', tenantRoutes({ pool: deps.pool, rateLimit: perIp }));
  const protectedRoutes = express.Router();
  protectedRoutes.use(deps.auth.authenticate, perKey);
  protectedRoutes.use(apiKeyRoutes({ pool: deps.pool, redis: deps.redis, auth: deps.auth }));
  protectedRoutes.use(accountRoutes({ pool: deps.pool }));
  protectedRoutes.use(accountBalanceRoutes({ pool: deps.pool }));
  protectedRoutes.use(
    transferRoutes({
      pool: deps.pool,
      accounts: deps.accounts,
      publisher: deps.publisher,
      pending: deps.pending,
      logger: deps.logger,
      publicPath,
    }),
  );
  protectedRoutes.use(
    holdRoutes({
      pool: deps.pool,
      publisher: deps.publisher,
      pending: deps.pending,
      logger: deps.logger,
      publicPath,
    }),
  );
  protectedRoutes.use(
    refundRoutes({
      pool: deps.pool,
      accounts: deps.accounts,
      publisher: deps.publisher,
      pending: deps.pending,
      logger: deps.logger,
      publicPath,
    }),
  );
  protectedRoutes.use(webhookEndpointRoutes({ pool: deps.pool, config }));
  app.use('/v1', protectedRoutes);

  app.use(methodNotAllowed(app));
  app.use(routeNotFound);
  app.use(errorHandler);
  return app;
}
