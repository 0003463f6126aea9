import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';
export type Behaviour = (request: Received, nth: number) => Reply;

/**
 * A local HTTP server on 127.0.0.1 and an ephemeral port that captures webhook requests (svix's
 * TestReceiver): each path answers as its behaviour says (default 204), `hang` never answers.
 */
export async function startReceiver() {
  const received: Received[] = [];
  const behaviours = new Map<string, Behaviour>();
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  let paths = 0;

  const server: Server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: Received = {
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      received.push(request);
      const nth = received.filter((r) => r.path === request.path).length;
      const reply: Reply = (behaviours.get(request.path) ?? (() => ({ status: 204 })))(request, nth);
      for (const wake of waiters) wake();
      if (reply === 'hang') return;
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? '');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    port,
    /** A fresh path on this receiver (one per endpoint) answering as told. */
    endpoint(behaviour?: Behaviour): { url: string; path: string } {
      const path = `/hooks/${++paths}`;
      if (behaviour) behaviours.set(path, behaviour);
      return { url: `http://127.0.0.1:${port}${path}`, path };
    },
    requests: (path?: string) => received.filter((r) => path === undefined || r.path === path),
    /** Resolves once `count` requests reached the path; fails after timeout_ms. */
    async waitFor(path: string, count: number, timeout_ms = 10_000): Promise<Received[]> {
      const deadline = Date.now() + timeout_ms;
      for (;;) {
        const got = received.filter((r) => r.path === path);
        if (got.length >= count) return got;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${path}: ${got.length} of ${count} requests after ${timeout_ms} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, left);
          function done() {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          }
          waiters.add(done);
        });
      }
    },
    async close(): Promise<void> {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type TestReceiver = Awaited<ReturnType<typeof startReceiver>>;
