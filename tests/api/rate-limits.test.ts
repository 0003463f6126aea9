import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import pino from 'pino';
import { loadApiConfig } from '../../api/src/config';
import { startApi } from '../../api/src/start-api';
import { createLogger } from '../../platform/logger';
import { createPool } from '../../platform/postgres';
import { client, newTenant, type Reply } from '../support/client';
import { ADMIN_TOKEN } from '../support/system';
import { eventually } from '../support/eventually';
import { freePort } from '../support/child-service';

// Rate limits against the real Redis: each API instance here has its own key prefix, so its
// buckets and blocks (127.0.0.1's included) are its own and no other test file's.

type Api = Awaited<ReturnType<typeof startApi>>;
const logger = createLogger({ service: 'test', level: process.env.LOG_LEVEL ?? 'silent', pretty: false });
const HIGH = '100000/60';
const running: Api[] = [];

async function api(overrides: Record<string, string> = {}, log = logger): Promise<Api> {
  const started = await startApi(
    loadApiConfig({
      ...process.env,
      API_PORT: '0',
      ADMIN_TOKEN,
      SWEEP_INTERVAL_MS: '600000',
      RATE_LIMIT_REDIS_PREFIX: `t-${randomUUID().slice(0, 8)}:rl`,
      RATE_LIMIT_SIGNUP_PER_IP: HIGH,
      RATE_LIMIT_READS_PER_KEY: HIGH,
      RATE_LIMIT_WRITES_PER_KEY: HIGH,
      RATE_LIMIT_READS_PER_TENANT: HIGH,
      RATE_LIMIT_WRITES_PER_TENANT: HIGH,
      // Exact sequences are asserted against Redis: on a loaded test machine a 50 ms command can
      // time out and the request be decided in memory instead (by design), so the Redis-outage
      // tests set the production 50 ms themselves.
      RATE_LIMIT_REDIS_TIMEOUT_MS: '1000',
      ...overrides,
    }),
    log,
  );
  running.push(started);
  return started;
}

const prefix = () => `t-${randomUUID().slice(0, 8)}:rl`;
/** A documentation address (RFC 3849) in a /64 of its own (IPv6 clients count by /64). */
const uniqueIp = () =>
  `2001:db8:${randomUUID().slice(0, 4)}:${randomUUID().slice(0, 4)}::${randomInt(0xffff).toString(16)}`;
const codeOf = (r: Reply) => (r.status === 429 ? r.body.error.code : r.status);
const signUpBody = () => ({ name: 'Acme', email: `${randomUUID()}@example.com` });
const until = <T>(what: string, probe: () => Promise<T | undefined>, timeout_ms = 10_000): Promise<T> =>
  eventually(probe, timeout_ms, 50, what);

/** Stops an instance before the end of the file. */
async function stopApi(instance: Api): Promise<void> {
  running.splice(running.indexOf(instance), 1);
  await instance.stop();
}

let setup: Api;
beforeAll(async () => {
  setup = await api();
});
afterAll(async () => {
  for (const a of running) await a.stop();
});

/** A tenant signed up through the unlimited setup API, with `keys` API keys. */
async function tenantWithKeys(keys = 1) {
  const tenant = await newTenant(setup.url);
  const secrets = [tenant.key];
  const ids: string[] = [];
  const listed = await tenant.api.get('/v1/api-keys');
  ids.push(listed.body.data[0].id);
  for (let i = 1; i < keys; i++) {
    const created = await tenant.api.post('/v1/api-keys', { name: `k${i}` });
    secrets.push(created.body.key);
    ids.push(created.body.id);
  }
  return { id: tenant.id, secrets, ids };
}

describe('admission', () => {
  it('admits exactly the quota when more requests than it arrive at once at two API processes sharing Redis', async () => {
    const shared = {
      RATE_LIMIT_REDIS_PREFIX: prefix(),
      RATE_LIMIT_READS_PER_KEY: '20/60',
      RATE_LIMIT_HARD_PCT: '1000',
    };
    const [a, b] = [await api(shared), await api(shared)];
    const { secrets } = await tenantWithKeys();

    const replies = await Promise.all(
      Array.from({ length: 45 }, (_, i) =>
        client(i % 2 ? a.url : b.url, secrets[0]).get('/v1/accounts?limit=1'),
      ),
    );

    const codes = replies.map(codeOf);
    expect(codes.filter((c) => c === 200)).toHaveLength(20);
    expect(codes.filter((c) => c === 'rate_limited')).toHaveLength(25);
  });

  it('admits exactly a busy quota through two API processes that decide many of its requests from leases', async () => {
    const shared = {
      RATE_LIMIT_REDIS_PREFIX: prefix(),
      RATE_LIMIT_READS_PER_KEY: '300/36000',
      RATE_LIMIT_HARD_PCT: '1000',
      // Leases outlast the test: none ends with tokens unspent, so the whole quota is admitted.
      RATE_LIMIT_LEASE_MS: '1000',
    };
    const [a, b] = [await api(shared), await api(shared)];
    const { secrets } = await tenantWithKeys();
    const read = (url: string) => client(url, secrets[0]).get('/v1/accounts?limit=1');

    const codes: Array<number | string> = [];
    for (let wave = 0; wave < 4; wave++)
      codes.push(
        ...(await Promise.all(Array.from({ length: 100 }, (_, i) => read(i % 2 ? a.url : b.url)))).map(
          codeOf,
        ),
      );
    expect(codes.filter((c) => c === 200).length).toBeLessThanOrEqual(300);
    // Then each process until refused, twice round: what one holds is spent before Redis refuses.
    for (const url of [a.url, b.url, a.url, b.url]) {
      for (;;) {
        const code = codeOf(await read(url));
        codes.push(code);
        if (code !== 200) break;
      }
    }

    expect(codes.filter((c) => c === 200)).toHaveLength(300);
    const leased = (x: Api) => x.rateLimitStats.decisions_leased;
    expect(leased(a) + leased(b)).toBeGreaterThan(30);
  });

  it('shares one budget between two API processes and announces every limit that applied', async () => {
    const shared = {
      RATE_LIMIT_REDIS_PREFIX: prefix(),
      RATE_LIMIT_WRITES_PER_KEY: '10/60',
      RATE_LIMIT_WRITES_PER_TENANT: '30/60',
    };
    const [a, b] = [await api(shared), await api(shared)];
    const { secrets } = await tenantWithKeys();
    for (let i = 0; i < 4; i++)
      expect(
        (await client(a.url, secrets[0]).post('/v1/accounts', { name: 'a', currency: 'USD' })).status,
      ).toBe(201);

    const fromB = await client(b.url, secrets[0]).post('/v1/accounts', { name: 'b', currency: 'USD' });

    expect(fromB.status).toBe(201);
    expect(fromB.headers.get('ratelimit-policy')).toBe('"key-write";q=10;w=60, "tenant-write";q=30;w=60');
    expect(fromB.headers.get('ratelimit')).toMatch(/^"key-write";r=5;t=\d+, "tenant-write";r=25;t=\d+$/);
  });

  it('counts reads and writes apart, and ids in paths make no separate buckets', async () => {
    const limited = await api({ RATE_LIMIT_READS_PER_KEY: '3/60' });
    const { secrets } = await tenantWithKeys();
    const c = client(limited.url, secrets[0]);
    const ids = [randomUUID(), randomUUID(), randomUUID()];

    const reads = [];
    for (const id of ids) reads.push(await c.get(`/v1/accounts/${id}`));
    const fourth = await c.get(`/v1/accounts/${randomUUID()}`);
    const write = await c.post('/v1/accounts', { name: 'w', currency: 'EUR' });

    expect(reads.map((r) => r.status)).toEqual([404, 404, 404]);
    expect(codeOf(fourth)).toBe('rate_limited');
    expect(write.status).toBe(201);
  });
});

describe('isolation', () => {
  it('keeps API keys and tenants apart: one key refused leaves its other keys and other tenants alone', async () => {
    const limited = await api({ RATE_LIMIT_READS_PER_KEY: '2/60', RATE_LIMIT_READS_PER_TENANT: '100/60' });
    const one = await tenantWithKeys(2);
    const other = await tenantWithKeys();
    const noisy = client(limited.url, one.secrets[0]);
    for (let i = 0; i < 2; i++) expect((await noisy.get('/v1/accounts')).status).toBe(200);
    expect(codeOf(await noisy.get('/v1/accounts'))).toBe('rate_limited');

    const sameTenantOtherKey = await client(limited.url, one.secrets[1]).get('/v1/accounts');
    const otherTenant = await client(limited.url, other.secrets[0]).get('/v1/accounts');

    expect(sameTenantOtherKey.status).toBe(200);
    expect(otherTenant.status).toBe(200);
  });

  it('caps a tenant over all its keys: minting keys does not multiply its budget', async () => {
    const limited = await api({ RATE_LIMIT_READS_PER_KEY: '10/60', RATE_LIMIT_READS_PER_TENANT: '3/60' });
    const { secrets } = await tenantWithKeys(2);
    const [k1, k2] = secrets.map((s) => client(limited.url, s));
    const admitted = [
      await k1!.get('/v1/accounts'),
      await k1!.get('/v1/accounts'),
      await k2!.get('/v1/accounts'),
    ];

    const refused = [await k2!.get('/v1/accounts'), await k1!.get('/v1/accounts')];

    expect(admitted.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(refused.map(codeOf)).toEqual(['rate_limited', 'rate_limited']);
    expect(refused[0]!.headers.get('ratelimit')).toMatch(/"key-read";r=9;t=\d+, "tenant-read";r=0;t=\d+/);
  });

  it('counts each client IP on its own, as given by a trusted proxy', async () => {
    const limited = await api({ RATE_LIMIT_SIGNUP_PER_IP: '1/60', API_TRUSTED_PROXIES: '127.0.0.1' });
    const c = client(limited.url);
    const [noisy, quiet] = [uniqueIp(), uniqueIp()];
    expect((await c.post('/v1/tenants', signUpBody(), { 'x-forwarded-for': noisy })).status).toBe(201);

    const again = await c.post('/v1/tenants', signUpBody(), { 'x-forwarded-for': noisy });
    const other = await c.post('/v1/tenants', signUpBody(), { 'x-forwarded-for': quiet });

    expect(codeOf(again)).toBe('rate_limited');
    expect(other.status).toBe(201);
  });

  it('counts an IPv6 client by its /64: hopping between its own addresses gives no fresh budget', async () => {
    const limited = await api({ RATE_LIMIT_SIGNUP_PER_IP: '1/60', API_TRUSTED_PROXIES: 'loopback' });
    const c = client(limited.url);
    const net64 = uniqueIp().replace(/::[0-9a-f]+$/, '');
    expect((await c.post('/v1/tenants', signUpBody(), { 'x-forwarded-for': `${net64}::1` })).status).toBe(
      201,
    );

    const hopped = await c.post('/v1/tenants', signUpBody(), { 'x-forwarded-for': `${net64}:ffff::2` });

    expect(codeOf(hopped)).toBe('rate_limited');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy (by default none is)', async () => {
    const limited = await api({ RATE_LIMIT_SIGNUP_PER_IP: '2/60' });
    const c = client(limited.url);
    const email = `${randomUUID()}@example.com`;
    const replies = [];
    for (let i = 0; i < 2; i++)
      replies.push(await c.post('/v1/tenants', signUpBody(), { 'x-forwarded-for': uniqueIp() }));

    const spoofed = await c.post('/v1/tenants', { name: 'Spoof', email }, { 'x-forwarded-for': uniqueIp() });

    expect(replies.map((r) => r.status)).toEqual([201, 201]);
    expect(codeOf(spoofed)).toBe('rate_limited');
    expect(spoofed.headers.get('ratelimit-policy')).toBe('"ip-signup";q=2;w=60');
    // Refused before any PostgreSQL work: the tenant does not exist.
    const { rows } = await pgTenantsWithEmail(email);
    expect(rows).toHaveLength(0);
  });
});

async function pgTenantsWithEmail(email: string) {
  const pool = createPool({ url: process.env.DATABASE_URL!, max: 1, applicationName: 'test' });
  try {
    return await pool.query('SELECT 1 FROM tenants WHERE email = $1', [email]);
  } finally {
    await pool.end();
  }
}

describe('soft and hard limits', () => {
  it('refuses past the quota with a backed-off Retry-After, blocks past the hard limit, lets the block expire, and blocks longer on a repeat offence', async () => {
    const keyPrefix = prefix();
    const limited = await api({
      RATE_LIMIT_REDIS_PREFIX: keyPrefix,
      RATE_LIMIT_WRITES_PER_KEY: '3/60',
      RATE_LIMIT_HARD_PCT: '200',
      RATE_LIMIT_BLOCK_SECONDS: '1,2',
      RATE_LIMIT_BACKOFF_BASE_MS: '1000',
      RATE_LIMIT_BACKOFF_MAX_MS: '8000',
    });
    const tenant = await tenantWithKeys();
    const c = client(limited.url, tenant.secrets[0]);
    const open = () => c.post('/v1/accounts', { name: 'x', currency: 'USD' });

    // 3 admitted; 3 more (up to 200 % of the quota) refused softly; the 7th crosses the hard limit.
    const replies: Reply[] = [];
    const elapsed: number[] = [];
    for (let i = 0; i < 8; i++) {
      const started = performance.now();
      replies.push(await open());
      elapsed.push(performance.now() - started);
    }

    expect(replies.map(codeOf)).toEqual([
      201,
      201,
      201,
      'rate_limited',
      'rate_limited',
      'rate_limited',
      'rate_limit_blocked',
      'rate_limit_blocked',
    ]);
    // Nothing sleeps on the server: a refusal is answered at once, whatever Retry-After says.
    for (const ms of elapsed.slice(3)) expect(ms).toBeLessThan(250);
    // Soft: the next request is possible in 20 s (60 s / 3), plus full jitter under a ceiling
    // that doubles as the attempts near the hard limit (2 s, 4 s, 8 s here).
    replies.slice(3, 6).forEach((r, i) => {
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(19);
      expect(retryAfter).toBeLessThanOrEqual(20 + 2 ** (i + 1));
    });
    const blocked = replies[6]!;
    expect(blocked.headers.get('retry-after')).toBe('1');
    expect(blocked.body.error.message).toMatch(/blocked for 1 s more \(offence 1/);
    expect(blocked.headers.get('ratelimit')).toBe('"key-write";r=0;t=1');
    // Nothing refused reached PostgreSQL: exactly the 3 admitted accounts exist.
    expect((await client(setup.url, tenant.secrets[0]).get('/v1/accounts')).body.data).toHaveLength(3);
    // No key lives forever: everything the limiter wrote expires.
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      const keys = await redis.keys(`${keyPrefix}:*`);
      expect(keys.length).toBeGreaterThanOrEqual(3);
      for (const key of keys) expect(await redis.pttl(key)).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }

    // The block expires; the quota is still spent, so pushing on is refused, then blocked again, longer.
    const afterBlock = await until('the block to expire', async () => {
      const r = await open();
      return codeOf(r) === 'rate_limit_blocked' ? undefined : r;
    });
    expect(codeOf(afterBlock)).toBe('rate_limited');
    const again: Reply[] = [];
    for (let i = 0; i < 3; i++) again.push(await open());
    expect(again.map(codeOf)).toEqual(['rate_limited', 'rate_limited', 'rate_limit_blocked']);
    expect(again[2]!.headers.get('retry-after')).toBe('2');
    expect(again[2]!.body.error.message).toMatch(/offence 2/);
  });

  it('lets operators see a block and lift it', async () => {
    const limited = await api({ RATE_LIMIT_READS_PER_KEY: '2/60', RATE_LIMIT_HARD_PCT: '150' });
    const tenant = await tenantWithKeys();
    const c = client(limited.url, tenant.secrets[0]);
    const pushing = [];
    for (let i = 0; i < 4; i++) pushing.push(codeOf(await c.get('/v1/accounts')));
    expect(pushing).toEqual([200, 200, 'rate_limited', 'rate_limit_blocked']);
    const admin = client(limited.url, ADMIN_TOKEN);

    const listed = await admin.get('/v1/admin/rate-limit-blocks');
    const lifted = await admin.delete(`/v1/admin/rate-limit-blocks/key/${tenant.ids[0]}`);
    const afterLift = await c.get('/v1/accounts');

    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([
      { subject: 'key', id: tenant.ids[0], offence: 1, expires_at: expect.any(String) },
    ]);
    expect(Date.parse(listed.body.data[0].expires_at)).toBeGreaterThan(Date.now() + 50_000);
    expect(lifted.status).toBe(204);
    // No longer blocked; the quota it used is still used.
    expect(codeOf(afterLift)).toBe('rate_limited');
    expect((await admin.delete(`/v1/admin/rate-limit-blocks/key/${tenant.ids[0]}`)).status).toBe(404);
    expect((await client(limited.url, 'not-the-token').get('/v1/admin/rate-limit-blocks')).status).toBe(401);
  });
});

describe('when Redis is unreachable', () => {
  let redisServer: ChildProcess | undefined;
  let port: number;
  const startRedis = async () => {
    redisServer = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await until('redis-server to listen', async () => ((await listening(port)) ? true : undefined));
  };
  const stopRedis = async () => {
    const child = redisServer!;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    redisServer = undefined;
  };
  beforeAll(async () => {
    port = await freePort();
  });
  afterAll(async () => {
    if (redisServer) await stopRedis();
  });

  it('answers at once from an in-memory limiter (never unlimited), says so once, and goes back to Redis by itself', async () => {
    await startRedis();
    const lines: Array<{ msg: string; connection?: string }> = [];
    const captured = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const limited = await api(
      {
        REDIS_URL: `redis://127.0.0.1:${port}`,
        RATE_LIMIT_READS_PER_KEY: '4/60',
        RATE_LIMIT_HARD_PCT: '1000',
        RATE_LIMIT_REDIS_RETRY_MS: '100',
      },
      captured,
    );
    const tenant = await tenantWithKeys();
    const c = client(limited.url, tenant.secrets[0]);
    expect((await c.get('/v1/accounts')).headers.get('ratelimit')).toMatch(/^"key-read";r=3;/);

    await stopRedis();
    const timed = [];
    for (let i = 0; i < 6; i++) {
      const started = performance.now();
      const reply = await c.get('/v1/accounts');
      timed.push({ code: codeOf(reply), ms: performance.now() - started });
    }

    for (const t of timed) expect(t.ms).toBeLessThan(300);
    // The process counts alone with the full quota (API_WORKERS=1): 4 more, then refused.
    expect(timed.map((t) => t.code)).toEqual([200, 200, 200, 200, 'rate_limited', 'rate_limited']);
    expect(limited.rateLimitStats).toMatchObject({ fallback_active: true, fallbacks: 1 });
    const blocksWhileDown = await client(limited.url, ADMIN_TOKEN).get('/v1/admin/rate-limit-blocks');
    expect({
      status: blocksWhileDown.status,
      retryAfter: blocksWhileDown.headers.get('retry-after'),
    }).toEqual({
      status: 503,
      retryAfter: '1',
    });
    const said = (msg: RegExp) => lines.filter((l) => msg.test(l.msg)).map((l) => l.connection ?? '');
    expect(said(/^rate limits decided in memory/)).toHaveLength(1);
    // Each client says once that Redis is gone, however many reconnection attempts fail.
    await until('both clients to notice', async () =>
      said(/^Redis unreachable/).length >= 2 ? true : undefined,
    );
    expect(said(/^Redis unreachable/).sort()).toEqual(['api', 'api-subscriber']);

    await startRedis();
    // Back on Redis (a new, empty one: the killed one kept nothing): admitted again, counted there.
    const back = await until('decisions in Redis again', async () => {
      const r = await c.get('/v1/accounts');
      return r.status === 200 ? r : undefined;
    });
    expect(back.headers.get('ratelimit')).toMatch(/^"key-read";r=3;/);
    expect(limited.rateLimitStats.fallback_active).toBe(false);
    expect(said(/^rate limits decided in Redis again/)).toHaveLength(1);
    expect(said(/^Redis unreachable/)).toHaveLength(2); // still once each, after every failed reconnection
    const probe = new Redis(`redis://127.0.0.1:${port}`);
    try {
      expect(await probe.keys(`*gcra:key-read:4/60:${tenant.ids[0]}`)).toHaveLength(1);
    } finally {
      probe.disconnect();
    }
    await stopApi(limited); // its revocation subscriber must not stand in for the next test's
  });

  it('does not wait on a Redis that stopped answering (connection open, no replies) longer than its timeout', async () => {
    if (!redisServer) await startRedis();
    const limited = await api({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      RATE_LIMIT_READS_PER_KEY: '3/60',
      RATE_LIMIT_REDIS_TIMEOUT_MS: '50',
      RATE_LIMIT_REDIS_RETRY_MS: '100',
    });
    const tenant = await tenantWithKeys();
    const c = client(limited.url, tenant.secrets[0]);
    expect((await c.get('/v1/accounts')).status).toBe(200);

    redisServer!.kill('SIGSTOP');
    const timed = [];
    try {
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        const reply = await c.get('/v1/accounts');
        timed.push({ code: codeOf(reply), ms: performance.now() - started });
        await new Promise((resolve) => setTimeout(resolve, 60)); // past the retry pause: Redis is tried again
      }
    } finally {
      redisServer!.kill('SIGCONT');
    }

    for (const t of timed) expect(t.ms).toBeLessThan(300);
    expect(timed.map((t) => t.code)).toEqual([200, 200, 200, 'rate_limited', 'rate_limited']);
    expect(limited.rateLimitStats.decisions_memory).toBeGreaterThanOrEqual(5);
    await stopApi(limited); // its revocation subscriber must not stand in for the next test's
  });

  it('starts while Redis is down, limits each process to its share, and hears key revocations from other processes once Redis is up', async () => {
    if (redisServer) await stopRedis();
    const started = performance.now();
    // A long authentication cache: only the broadcast can make this process refuse a revoked key soon.
    const limited = await api({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      RATE_LIMIT_READS_PER_KEY: '4/60',
      RATE_LIMIT_PROCESSES: '2',
      AUTH_CACHE_TTL_MS: '60000',
    });
    expect(performance.now() - started).toBeLessThan(5_000);
    const tenant = await tenantWithKeys(2);
    const c = client(limited.url, tenant.secrets[0]);

    const replies = [await c.get('/v1/accounts'), await c.get('/v1/accounts'), await c.get('/v1/accounts')];

    expect(replies.map(codeOf)).toEqual([200, 200, 'rate_limited']);
    expect(replies[0]!.headers.get('ratelimit-policy')).toMatch(/^"key-read";q=2;w=60/);

    await startRedis();
    const probe = new Redis(`redis://127.0.0.1:${port}`);
    try {
      await until('the revocation subscription', async () => {
        const [, subscribers] = (await probe.pubsub('NUMSUB', 'ledger:api-key-revoked')) as [string, number];
        return Number(subscribers) >= 1 ? true : undefined;
      });
    } finally {
      probe.disconnect();
    }
    const other = await api({ REDIS_URL: `redis://127.0.0.1:${port}` });
    const otherClient = client(other.url, tenant.secrets[1]);
    await until('the other process on Redis', async () => {
      await otherClient.get('/v1/accounts');
      return other.rateLimitStats.decisions_redis > 0 ? true : undefined;
    });

    // Revoked through the other process; `limited` holds the key in its cache for a minute.
    expect((await otherClient.delete(`/v1/api-keys/${tenant.ids[0]}`)).status).toBe(204);

    const refused = await until('the revocation to reach the other process', async () => {
      const r = await c.get('/v1/api-keys');
      return r.status === 401 ? r : undefined;
    });
    expect(refused.body.error.code).toBe('api_key_revoked');
  });
});

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
