import { createServer, type Server } from 'node:http';
import type { Logger } from '../logger';
import { createOpsHandlers, OPS_PATHS, type MetricsSource, type OpsResponse } from './ops-handlers';
import type { ReadinessCheck } from './readiness';

export interface OpsServer {
  /** The port bound (the one asked for, or the one the system chose for port 0). */
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * A small HTTP server of the workers (processor, webhook dispatcher), which have no API port:
 * GET /metrics, /healthz and /readyz, nothing else. Bound to `host` (127.0.0.1 by default: what
 * it tells is for the operator). Rejects when the port cannot be bound.
 */
export async function startOpsServer(options: {
  host: string;
  port: number;
  registry: MetricsSource;
  checks: readonly ReadinessCheck[];
  logger: Logger;
}): Promise<OpsServer> {
  const handlers = createOpsHandlers(options);
  const routes: Record<string, () => OpsResponse | Promise<OpsResponse>> = {
    [OPS_PATHS.metrics]: handlers.metrics,
    [OPS_PATHS.healthz]: handlers.healthz,
    [OPS_PATHS.readyz]: handlers.readyz,
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes[path];
    const answer: Promise<OpsResponse> =
      req.method !== 'GET' && req.method !== 'HEAD'
        ? Promise.resolve({ status: 405, contentType: 'text/plain', body: 'GET only\n' })
        : route
          ? Promise.resolve().then(route)
          : Promise.resolve({ status: 404, contentType: 'text/plain', body: 'not found\n' });
    answer
      .catch((error: unknown): OpsResponse => {
        options.logger.error({ err: error, path }, 'ops route failed');
        return { status: 500, contentType: 'text/plain', body: 'internal error\n' };
      })
      .then((r) => {
        res.writeHead(r.status, { 'Content-Type': r.contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : r.body);
      })
      // A response Node refuses to write (a header value it rejects) would otherwise be an unhandled
      // rejection, which ends the process: log it and drop the connection rather than leave the
      // client waiting for the request timeout.
      .catch((error: unknown) => {
        options.logger.error({ err: error, path }, 'ops response failed');
        res.destroy();
      });
  });
  // Probes and scrapes are short: a stuck client must not hold a socket for long.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => options.logger.error({ err: error }, 'ops server error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
