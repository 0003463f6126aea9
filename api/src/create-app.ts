import express, { type Express, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../../platform/logger';
import type { ReadinessCheck } from '../../platform/metrics/readiness';
import type { Pool } from '../../platform/postgres';
import type { Redis } from '../../platform/redis';
import type { ApiKeyAuth } from './auth/authenticate';
import type { ApiConfig } from './config';
import { errorHandler, requireJson, routeNotFound } from './http/error-handler';
import { httpMetrics } from './http/http-metrics';
import { OPS_ROUTE_PATHS, opsRoutes } from './http/ops-routes';
import { rateLimit } from './http/rate-limit';
import { requestLog } from './http/request-log';
import { accountRoutes } from './routes/accounts';
import { apiKeyRoutes } from './routes/api-keys';
import { fxRateRoutes } from './routes/fx-rates';
import { tenantRoutes } from './routes/tenants';
import { transferRoutes } from './routes/transfers';
import { webhookEndpointRoutes } from './routes/webhook-endpoints';
import type { ApiMetrics } from './metrics';
import type { AccountDirectory } from './transfers/account-directory';
import type { CommandPublisher } from './transfers/command-publisher';
import type { PendingWriter } from './transfers/pending-writer';

export interface AppDeps {
  config: ApiConfig;
  logger: Logger;
  pool: Pool;
  redis: Redis;
  auth: ApiKeyAuth;
  accounts: AccountDirectory;
  publisher: CommandPublisher;
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
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'simple');

  app.use(requestLog(deps.logger, (url) => OPS_ROUTE_PATHS.has(url)));
  app.use(opsRoutes(deps.ops));
  app.use(httpMetrics(deps.ops.metrics));
  app.get('/openapi.json', (_req, res) => {
    res.json(deps.openapi);
  });
  app.use(requireJson);
  app.use(express.json({ limit: config.API_BODY_BYTES_MAX, strict: true, type: 'application/json' }));

  const softRatio = config.RATE_LIMIT_SOFT_RATIO_PCT / 100;
  const perIp: RequestHandler = rateLimit({
    redis: deps.redis,
    logger: deps.logger,
    name: 'ip',
    points: config.RATE_LIMIT_PUBLIC_PER_MINUTE,
    windowSeconds: 60,
    softRatio,
    key: (req) => req.ip ?? 'unknown',
    decisions: deps.ops.metrics.rateLimitDecisions,
  });
  const perKey: RequestHandler = rateLimit({
    redis: deps.redis,
    logger: deps.logger,
    name: 'key',
    points: config.RATE_LIMIT_KEY_PER_SECOND,
    windowSeconds: 1,
    softRatio,
    key: (_req, res) => res.locals.apiKeyId,
    decisions: deps.ops.metrics.rateLimitDecisions,
  });

  const publicPath = (path: string) =>
    config.API_PUBLIC_URL ? new URL(path, config.API_PUBLIC_URL).toString() : path;
  app.use('/v1', fxRateRoutes({ pool: deps.pool, adminToken: config.ADMIN_TOKEN }));
  app.use('/v1', tenantRoutes({ pool: deps.pool, rateLimit: perIp }));
  const protectedRoutes = express.Router();
  protectedRoutes.use(deps.auth.authenticate, perKey);
  protectedRoutes.use(apiKeyRoutes({ pool: deps.pool, redis: deps.redis, auth: deps.auth }));
  protectedRoutes.use(accountRoutes({ pool: deps.pool }));
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
  protectedRoutes.use(webhookEndpointRoutes({ pool: deps.pool, config }));
  app.use('/v1', protectedRoutes);

  app.use(routeNotFound);
  app.use(errorHandler);
  return app;
}
