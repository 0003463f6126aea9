import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { DATABASE_URL, KAFKA_BROKERS, attemptsOf, startHarness, type Harness } from './harness';
import { eventually } from '../support/eventually';
import { startReceiver, type TestReceiver } from './test-receiver';

const ROOT = path.resolve(__dirname, '..', '..');

/** Each test gets a topic prefix (and so a consumer group) of its own: dispatchers do not meet across tests. */
describe('webhook delivery under failure and concurrency', () => {
  let receiver: TestReceiver;
  const harnesses: Harness[] = [];
  const harness = async () => {
    const h = await startHarness();
    harnesses.push(h);
    return h;
  };
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    for (const h of harnesses) await h.stop();
    await receiver?.close();
  });

  it('a receiver that hangs does not slow deliveries to another endpoint', async () => {
    const h = await harness();
    await h.startDispatcher({
      WEBHOOK_TIMEOUT_MS: '5000',
      WEBHOOK_LEASE_MS: '8000',
      WEBHOOK_ENDPOINT_CONCURRENCY_MAX: '2',
      WEBHOOK_CONCURRENCY_MAX: '16',
    });
    const [slowTenant, fastTenant] = [await h.newTenant(), await h.newTenant()];
    const hanging = receiver.endpoint(() => 'hang');
    const fast = receiver.endpoint();
    await h.newEndpoint(slowTenant, hanging.url);
    await h.newEndpoint(fastTenant, fast.url);

    await h.publishCredits(slowTenant, 10);
    const firstHang = (await receiver.waitFor(hanging.path, 1))[0]!.at;
    await h.publishCredits(fastTenant, 20);
    const delivered = await receiver.waitFor(fast.path, 20, 4_000);

    // All 20 arrived while the hanging endpoint still held its 2 slots (its timeout is 5 s).
    expect(Math.max(...delivered.map((r) => r.at)) - firstHang).toBeLessThan(4_500);
    expect(receiver.requests(hanging.path)).toHaveLength(2);
  });

  it('two dispatchers side by side never send one attempt twice', async () => {
    const h = await harness();
    const small = {
      WEBHOOK_CONCURRENCY_MAX: '4',
      WEBHOOK_CLAIM_BATCH_MAX: '4',
      WEBHOOK_POLL_INTERVAL_MS: '20',
    };
    await h.startDispatcher(small);
    await h.startDispatcher(small);
    const seen = new Map<string, number>();
    // Each message fails once, then succeeds: two attempts per message, each to be sent once.
    const flaky = () =>
      receiver.endpoint((r) => {
        const id = String(r.headers['webhook-id']);
        seen.set(id, (seen.get(id) ?? 0) + 1);
        return seen.get(id) === 1 ? { status: 500 } : { status: 204 };
      });
    const endpoints: Array<{ id: string; secret: string; path: string }> = [];
    for (let i = 0; i < 3; i++) {
      const tenant = await h.newTenant();
      const target = flaky();
      endpoints.push({ ...(await h.newEndpoint(tenant, target.url)), path: target.path });
      await h.publishCredits(tenant, 40);
    }

    for (const e of endpoints) await receiver.waitFor(e.path, 80, 20_000);
    await eventually(async () => {
      const { rows } = await h.pool.query<{ pending: number }>(
        `SELECT count(*) FILTER (WHERE status <> 'delivered')::int AS pending FROM webhook_messages WHERE endpoint_id = ANY($1)`,
        [endpoints.map((e) => e.id)],
      );
      return rows[0]!.pending === 0;
    });

    const requestsPerMessage = [...seen.values()];
    expect(requestsPerMessage).toHaveLength(120);
    expect(requestsPerMessage.every((n) => n === 2)).toBe(true);
    const attempts = (await Promise.all(endpoints.map((e) => attemptsOf(h.pool, e.id)))).flat();
    expect(attempts).toHaveLength(240);
    // Both took part: attempts keep the lease token of the dispatcher that sent them.
    expect(new Set(attempts.map((a) => a.lease_token)).size).toBe(2);
  });

  it('a dispatcher process killed in the middle of retrying loses nothing once one runs again', async () => {
    const h = await harness();
    const env = {
      ...process.env,
      DATABASE_URL,
      KAFKA_BROKERS,
      KAFKA_TOPIC_PREFIX: h.prefix,
      WEBHOOK_DISPATCHER_GROUP_ID: `${h.prefix}webhooks`,
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
      WEBHOOK_RETRY_SCHEDULE_MS: '0,100,200,400',
      WEBHOOK_POLL_INTERVAL_MS: '50',
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_LEASE_MS: '3000',
      WEBHOOK_KAFKA_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'silent',
    };
    const child: ChildProcess = spawn(
      process.execPath,
      ['-r', '@swc-node/register', 'webhook-dispatcher/src/main.ts'],
      {
        cwd: ROOT,
        env,
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const tenant = await h.newTenant();
      // 1st attempt: 500; 2nd: hangs until the process is killed under it; then 204.
      const target = receiver.endpoint((_r, nth) =>
        nth === 1 ? { status: 500 } : nth === 2 ? 'hang' : { status: 204 },
      );
      const endpoint = await h.newEndpoint(tenant, target.url);
      const [event] = await h.publishCredits(tenant, 1);
      await receiver.waitFor(target.path, 2, 20_000);

      child.kill('SIGKILL');
      await exited;
      const later = await h.publishCredits(tenant, 3);
      await h.startDispatcher({
        WEBHOOK_RETRY_SCHEDULE_MS: '0,100,200,400',
        WEBHOOK_KAFKA_SESSION_TIMEOUT_MS: '6000',
      });

      // The killed attempt's lease runs out (3 s), then it is sent again; the later events go too.
      const got = await receiver.waitFor(target.path, 6, 15_000);
      const ids = got.map((r) => r.headers['webhook-id']);
      expect(ids.filter((id) => id === event!.id)).toHaveLength(3);
      for (const e of later) expect(ids.filter((id) => id === e.id)).toHaveLength(1);
      const statuses = await eventually(async () => {
        const { rows } = await h.pool.query<{ status: string }>(
          'SELECT status FROM webhook_messages WHERE endpoint_id = $1',
          [endpoint.id],
        );
        return rows.length === 4 && rows.every((r) => r.status === 'delivered') ? rows : undefined;
      });
      expect(statuses).toHaveLength(4);
      // The killed attempt was recorded once, by the dispatcher that took it over.
      const { rows } = await h.pool.query<{ id: string }>(
        'SELECT id FROM webhook_messages WHERE event_id = $1',
        [event!.id],
      );
      const attempts = (await attemptsOf(h.pool, endpoint.id)).filter((a) => a.message_id === rows[0]!.id);
      expect(attempts.map((a) => [a.status, a.response_status, a.error])).toEqual([
        ['failed', 500, 'HTTP 500'],
        ['succeeded', 204, null],
      ]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('a request that outlasts the lease is not sent twice, and a crashed dispatcher is taken over within 15 s', async () => {
    const h = await harness();
    const slow = { WEBHOOK_TIMEOUT_MS: '30000', WEBHOOK_POLL_INTERVAL_MS: '50' }; // the default lease (9 s)
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL,
      KAFKA_BROKERS,
      KAFKA_TOPIC_PREFIX: h.prefix,
      WEBHOOK_DISPATCHER_GROUP_ID: `${h.prefix}webhooks`,
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
      LOG_LEVEL: 'silent',
      ...slow,
    };
    delete env.WEBHOOK_LEASE_MS;
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'webhook-dispatcher/src/main.ts'], {
      cwd: ROOT,
      env,
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const tenant = await h.newTenant();
      // The first request hangs (its dispatcher is killed under it); the next one succeeds.
      const target = receiver.endpoint((_r, nth) => (nth === 1 ? 'hang' : { status: 204 }));
      await h.newEndpoint(tenant, target.url);
      const [event] = await h.publishCredits(tenant, 1);
      await receiver.waitFor(target.path, 1, 20_000);

      // A second dispatcher looks for due work all along: the first one's lease, renewed while
      // its request runs, keeps the attempt from being sent again past the lease period.
      await h.startDispatcher(slow);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      expect(receiver.requests(target.path)).toHaveLength(1);

      child.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();
      const [, again] = await receiver.waitFor(target.path, 2, 20_000);
      expect(again!.headers['webhook-id']).toBe(event!.id);
      expect(again!.at - killedAt).toBeLessThan(15_000);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
