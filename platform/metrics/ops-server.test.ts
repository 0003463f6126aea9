import pino from 'pino';
import { Counter } from 'prom-client';
import { createLogger } from '../logger';
import { MetricsUnavailable } from './ops-handlers';
import { startOpsServer, type OpsServer } from './ops-server';
import { createMetricsRegistry } from './registry';
import { runChecks, type ReadinessCheck } from './readiness';

const check = (name: string, critical: boolean, run: ReadinessCheck['run']): ReadinessCheck => ({
  name,
  critical,
  run,
});

describe('readiness checks', () => {
  it('are ready when every critical check is up, whatever the informational ones say', async () => {
    const report = await runChecks([
      check('postgres', true, async () => ({ ok: true })),
      check('redis', false, async () => ({ ok: false, detail: 'reconnecting' })),
    ]);
    expect(report.status).toBe('ready');
    expect(report.checks.redis).toMatchObject({ status: 'down', critical: false, detail: 'reconnecting' });
  });

  it('are not ready when a critical check fails, throws or does not answer in time, and say which', async () => {
    const report = await runChecks(
      [
        check('down', true, async () => ({ ok: false, detail: 'no partitions' })),
        check('throws', true, async () => {
          throw new Error('connection refused');
        }),
        check('hangs', true, () => new Promise(() => {})),
        check('fine', true, async () => ({ ok: true })),
      ],
      50,
    );
    expect(report.status).toBe('not_ready');
    expect(report.checks).toMatchObject({
      down: { status: 'down', detail: 'no partitions' },
      throws: { status: 'down', detail: 'connection refused' },
      hangs: { status: 'down', detail: 'hangs did not finish within 50 ms' },
      fine: { status: 'up' },
    });
  });
});

describe('the ops server', () => {
  let server: OpsServer;
  let ready = true;
  beforeAll(async () => {
    const registry = createMetricsRegistry();
    new Counter({ name: 'ledger_test_total', help: 'a test counter', registers: [registry] }).inc(3);
    server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      registry,
      checks: [check('dependency', true, async () => ({ ok: ready }))],
      logger: createLogger({ service: 'test', level: 'silent', pretty: false }),
    });
  });
  afterAll(() => server.close());

  it('binds the port asked for, or any free one for port 0, and tells which', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('serves the registry in the Prometheus text format, with the process metrics', async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^ledger_test_total 3$/m);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
  });

  it('answers /healthz 200 always and /readyz 200 or 503 with the checks', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    ready = false;
    const unready = await fetch(`${server.url}/readyz`);
    expect(unready.status).toBe(503);
    expect(await unready.json()).toMatchObject({
      status: 'not_ready',
      checks: { dependency: { status: 'down', critical: true } },
    });
    ready = true;
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('serves nothing else', async () => {
    expect((await fetch(`${server.url}/`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('the ops server, when a response cannot be written', () => {
  it('logs it and closes the connection, without an unhandled rejection', async () => {
    const logged: string[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      // Node refuses a header value with a line break: writeHead throws.
      registry: { contentType: 'text/plain\nX-Injected: 1', metrics: async () => 'm 1\n' },
      checks: [],
      logger: pino({ level: 'error' }, { write: (line: string) => logged.push(line) }),
    });
    try {
      await expect(fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow(
        'fetch failed',
      );
      expect(logged.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
        'ops response failed',
      ]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await server.close();
    }
  });
});

describe('the ops server, when its metrics source cannot answer', () => {
  it('answers /metrics 503 (a failed scrape) for a source that is unavailable, and 500 only for a bug', async () => {
    let failure: Error = new MetricsUnavailable('not every API worker sent its series in time');
    const server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      registry: {
        contentType: 'text/plain',
        metrics: () => Promise.reject(failure),
      },
      checks: [],
      logger: createLogger({ service: 'test', level: 'silent', pretty: false }),
    });
    try {
      const unavailable = await fetch(`${server.url}/metrics`);
      expect(unavailable.status).toBe(503);
      expect(await unavailable.text()).toBe(
        'metrics unavailable: not every API worker sent its series in time\n',
      );
      failure = new TypeError('a bug');
      expect((await fetch(`${server.url}/metrics`)).status).toBe(500);
    } finally {
      await server.close();
    }
  });
});
