import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createKafka, deleteTopics, topicsFor } from '../../platform/kafka';
import { createLogger } from '../../platform/logger';
import { scrape, total } from '../support/prometheus-text';
import { eventually } from '../support/eventually';
import { freePort } from '../support/child-service';
import { testKafkaBrokers } from '../support/service-env';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * With several API worker processes a scrape of the API port reaches one worker; the primary's
 * ops port must tell the whole API's story.
 */
describe('the API in cluster mode (API_WORKERS=2)', () => {
  const prefix = `ops-${randomUUID().slice(0, 8)}.`;
  let api: ChildProcess;
  let output = '';
  let apiUrl: string;
  let opsUrl: string;
  beforeAll(async () => {
    const [apiPort, opsPort] = [await freePort(), await freePort()];
    apiUrl = `http://127.0.0.1:${apiPort}`;
    opsUrl = `http://127.0.0.1:${opsPort}`;
    api = spawn(process.execPath, ['-r', '@swc-node/register', 'api/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        KAFKA_TOPIC_PREFIX: prefix,
        API_HOST: '127.0.0.1',
        API_PORT: String(apiPort),
        API_WORKERS: '2',
        API_OPS_PORT: String(opsPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    api.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    api.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    await eventually(
      async () => {
        if (api.exitCode !== null) throw new Error(`the API exited:\n${output}`);
        return fetch(`${opsUrl}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
      },
      30_000,
      100,
    );
  }, 40_000);
  afterAll(async () => {
    if (api && api.exitCode === null) {
      const exited = new Promise((resolve) => api.once('exit', resolve));
      api.kill('SIGTERM');
      await exited;
    }
    const logger = createLogger({ service: 'test', level: 'silent', pretty: false });
    const kafka = createKafka({
      brokers: testKafkaBrokers().split(','),
      clientId: 'test',
      logger,
    });
    await deleteTopics(kafka, topicsFor(prefix)).catch(() => undefined);
  });

  it("serves on the primary's ops port the sum of every worker's series", async () => {
    const requests = 30;
    for (let i = 0; i < requests; i++) {
      // A new connection each time, so that the requests may spread over the workers (how the
      // primary hands them out is its business: only the sum is asserted).
      const res = await fetch(`${apiUrl}/openapi.json`, { headers: { connection: 'close' } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    // The primary gathers every worker's registry over IPC for each scrape; on a loaded machine
    // one such round can fail (seen once in a full suite run: 500), and Prometheus simply scrapes
    // again. The sum is asserted on the first scrape that answers.
    const summed = await eventually(
      () => scrape(opsUrl).catch(() => undefined),
      15_000,
      250,
      'a cluster scrape',
    );
    expect(total(summed, 'ledger_http_requests_total', { route: '/openapi.json', status_class: '2xx' })).toBe(
      requests,
    );
    const ready = await fetch(`${opsUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { api_workers: { status: 'up' } } });
  });
});
