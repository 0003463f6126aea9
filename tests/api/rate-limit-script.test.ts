import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { createLogger } from '../../platform/logger';
import { closeRedis, createRedis } from '../../platform/redis';
import type { Decision } from '../../api/src/domain/rate-limits/decision';
import { createMemoryStore } from '../../api/src/data-access/rate-limits/memory-store';
import type { Limit } from '../../api/src/domain/rate-limits/policies';
import { createRedisStore } from '../../api/src/data-access/rate-limits/redis-store';

// The Lua script in Redis and the in-memory fallback are two writings of one algorithm: any
// sequence of requests gets the same decisions from both. Windows of an hour make the few
// milliseconds between the two clocks irrelevant to the outcome.

const redis = createRedis(process.env.REDIS_URL!, {
  logger: createLogger({ service: 'test', level: 'silent', pretty: false }),
  name: 'test',
});
beforeAll(async () => {
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
});
afterAll(() => closeRedis(redis));

/** The discrete part of a decision, equal in both; the times and pressure may differ by the clocks' offset. */
const comparable = (d: Decision) =>
  d.outcome === 'blocked'
    ? { outcome: d.outcome, index: d.index, offence: d.offence }
    : { outcome: d.outcome, remaining: d.limits.map((l) => l.remaining) };
const continuous = (d: Decision) =>
  d.outcome === 'blocked'
    ? [d.left_ms]
    : [...d.limits.map((l) => l.reset_ms), ...(d.outcome === 'limited' ? [d.wait_ms] : [])];
const pressure = (d: Decision) => (d.outcome === 'limited' ? d.pressure : 0);

describe('the rate-limit Lua script', () => {
  it('decides every sequence of requests as the in-memory reference does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          keyQuota: fc.integer({ min: 1, max: 5 }),
          tenantQuota: fc.integer({ min: 1, max: 8 }),
          hard_pct: fc.constantFrom(100, 150, 200, 300),
          requests: fc.array(fc.constantFrom(0, 1, 2), { minLength: 1, maxLength: 30 }),
        }),
        async ({ keyQuota, tenantQuota, hard_pct, requests }) => {
          const blocks = { periods_ms: [60_000, 300_000], offence_memory_ms: 3_600_000 };
          const run = randomUUID();
          const key = (id: string): Limit => ({
            policy: { name: 'key-read', quota: keyQuota, window_s: 3_600 },
            subject: 'key',
            id: `${run}-${id}`,
          });
          const tenant: Limit = {
            policy: { name: 'tenant-read', quota: tenantQuota, window_s: 3_600 },
            subject: 'tenant',
            id: run,
          };
          const shapes: Limit[][] = [[key('a'), tenant], [key('b'), tenant], [key('c')]];
          const inRedis = createRedisStore(redis, { prefix: `t-${run.slice(0, 8)}:rl`, hard_pct, blocks });
          const inMemory = createMemoryStore({ hard_pct, blocks, entries_max: 1_000 });
          for (const shape of requests) {
            const [fromRedis, fromMemory] = [
              await inRedis.decide(shapes[shape]!),
              await inMemory.decide(shapes[shape]!),
            ];
            expect(comparable(fromRedis)).toEqual(comparable(fromMemory));
            const [a, b] = [continuous(fromRedis), continuous(fromMemory)];
            expect(a).toHaveLength(b.length);
            // Milliseconds apart by no more than the test's own run time; pressure sent in whole per mille.
            a.forEach((x, i) => expect(Math.abs(x - b[i]!)).toBeLessThanOrEqual(250));
            expect(Math.abs(pressure(fromRedis) - pressure(fromMemory))).toBeLessThanOrEqual(0.002);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
  it('decides requests sent together (one script call for the batch) exactly as one at a time, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          quota: fc.integer({ min: 1, max: 4 }),
          tenantQuota: fc.integer({ min: 1, max: 6 }),
          hard_pct: fc.constantFrom(100, 150, 200),
          waves: fc.array(fc.array(fc.constantFrom(0, 1, 2, 3), { minLength: 1, maxLength: 12 }), {
            minLength: 1,
            maxLength: 4,
          }),
        }),
        async ({ quota, tenantQuota, hard_pct, waves }) => {
          const blocks = { periods_ms: [60_000, 300_000], offence_memory_ms: 3_600_000 };
          const run = randomUUID();
          const policy = (name: string, q: number) => ({ name, quota: q, window_s: 3_600 });
          const tenant: Limit = { policy: policy('tenant-write', tenantQuota), subject: 'tenant', id: run };
          // Reads and writes of one key are two limits of one subject: a block by either stops both.
          const reads: Limit = { policy: policy('key-read', quota), subject: 'key', id: `${run}-a` };
          const writes: Limit = { policy: policy('key-write', quota), subject: 'key', id: `${run}-a` };
          const other: Limit = { policy: policy('key-write', quota), subject: 'key', id: `${run}-b` };
          const shapes: Limit[][] = [[reads], [writes, tenant], [other, tenant], [other]];
          const inRedis = createRedisStore(redis, { prefix: `t-${run.slice(0, 8)}:rl`, hard_pct, blocks });
          const inMemory = createMemoryStore({ hard_pct, blocks, entries_max: 1_000 });
          for (const wave of waves) {
            // Sent in the same tick: the store decides them in as few script calls as it can.
            const fromRedis = await Promise.all(wave.map((shape) => inRedis.decide(shapes[shape]!)));
            for (const [i, shape] of wave.entries()) {
              const fromMemory = await inMemory.decide(shapes[shape]!);
              expect(comparable(fromRedis[i]!)).toEqual(comparable(fromMemory));
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('leases of a busy limit (several processes sharing Redis)', () => {
  const blocks = { periods_ms: [60_000], offence_memory_ms: 3_600_000 };
  /** `processes` stores sharing one prefix, as API processes share Redis; each leases on its own. */
  const processes = (n: number, lease_ms: number, hard_pct = 1_000) => {
    const prefix = `t-${randomUUID().slice(0, 8)}:rl`;
    return Array.from({ length: n }, () => createRedisStore(redis, { prefix, hard_pct, blocks, lease_ms }));
  };
  const limitOf = (quota: number, window_s: number): Limit => ({
    policy: { name: 'key-write', quota, window_s },
    subject: 'key',
    id: randomUUID(),
  });
  const admitted = (ds: Decision[]) => ds.filter((d) => d.outcome === 'admitted').length;

  it('never admits beyond the quota, however requests and leases spread over the processes, and admits all of it once each has spent what it holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          quota: fc.integer({ min: 100, max: 400 }),
          waves: fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 60 })), {
            minLength: 1,
            maxLength: 12,
          }),
        }),
        async ({ quota, waves }) => {
          // A window of ten hours: nothing refills while the test runs, so the quota is the whole budget.
          const limit = limitOf(quota, 36_000);
          const stores = processes(3, 60_000);
          let total = 0;
          for (const [p, count] of waves) {
            const ds = await Promise.all(Array.from({ length: count }, () => stores[p]!.decide([limit])));
            total += admitted(ds);
            expect(total).toBeLessThanOrEqual(quota);
          }
          // Each process in turn asks until refused: what it holds is spent first, then Redis
          // refuses. A renewal still out may yet hand a process tokens, so rounds go on until two
          // in a row admit nothing (the first one's calls came after every renewal sent before it).
          for (let idle = 0; idle < 2;) {
            let round = 0;
            for (const store of stores) {
              for (;;) {
                const d = await store.decide([limit]);
                if (d.outcome !== 'admitted') break;
                round++;
              }
            }
            total += round;
            idle = round === 0 ? idle + 1 : 0;
          }
          expect(total).toBe(quota);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('admits busy requests from leases (most without a round trip), within the quota', async () => {
    const limit = limitOf(1_000, 36_000);
    const [a, b] = processes(2, 60_000);
    const ds: Decision[] = [];
    for (let wave = 0; wave < 10; wave++)
      ds.push(
        ...(await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a! : b!).decide([limit])))),
      );
    for (let i = 0; i < 200; i++) ds.push(await a!.decide([limit]));

    expect(admitted(ds)).toBe(600);
    expect(ds.filter((d) => d.outcome === 'admitted' && d.leased).length).toBeGreaterThan(300);
  });

  it("keeps a lease out of the others' budget until it ends, even once the limit has refilled", async () => {
    // 100 a second: one token every 10 ms, whole again 1 s after the last charge.
    const limit = limitOf(100, 1);
    const [holder, other] = processes(2, 10_000);
    const burst = await Promise.all(Array.from({ length: 20 }, () => holder!.decide([limit])));
    expect(admitted(burst)).toBe(20);
    await new Promise((resolve) => setTimeout(resolve, 1_200));

    const seen = await other!.decide([limit]);

    // 20 requests asked a lease of 2 × 20; Redis gave 1/8 of the 80 left: 10 tokens, still held.
    expect(seen).toMatchObject({ outcome: 'admitted', limits: [{ remaining: 100 - 10 - 1 }] });
    const spent = [];
    for (let i = 0; i < 10; i++) spent.push(await holder!.decide([limit]));
    expect(spent.every((d) => d.outcome === 'admitted' && d.leased)).toBe(true);
  });

  it('renews a busy lease before it runs out: once it is busy, no request waits for Redis', async () => {
    const limit = limitOf(1_000_000, 3_600);
    // Renewals at half the lease (500 ms) or a quarter of its tokens left: ample time for each.
    const [store] = processes(1, 1_000);
    const ds: Decision[] = [];
    const started = performance.now();
    while (performance.now() - started < 2_500) {
      ds.push(await store!.decide([limit]));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }

    // A lease needs 8 requests seen first; after its first one, every request was admitted from a lease.
    const first = ds.findIndex((d) => d.outcome === 'admitted' && d.leased);
    expect(first).toBeLessThan(12);
    expect(ds.slice(first).filter((d) => !(d.outcome === 'admitted' && d.leased))).toEqual([]);
    expect(ds.length).toBeGreaterThan(first + 100);
  });

  it("keeps the tokens of a renewed lease out of the others' budget, and sizes the renewal without them", async () => {
    // 100 a second: one token every 10 ms, whole again 1 s after the last charge.
    const limit = limitOf(100, 1);
    const [holder, other] = processes(2, 2_000);
    expect(admitted(await Promise.all(Array.from({ length: 20 }, () => holder!.decide([limit]))))).toBe(20);
    // A lease of 10 (1/8 of the 80 left), one spent.
    expect(await holder!.decide([limit])).toMatchObject({ leased: true });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    // Half the lease's time gone: this spend renews it, keeping the 8 left. The limit has refilled,
    // but those 8 are not room: Redis gives 1/8 of the 92 left.
    expect(await holder!.decide([limit])).toMatchObject({ leased: true });
    await new Promise((resolve) => setTimeout(resolve, 100));

    const seen = await other!.decide([limit]);

    expect(seen).toMatchObject({ outcome: 'admitted', limits: [{ remaining: 100 - 8 - 11 - 1 }] });
    for (let i = 0; i < 19; i++) expect(await holder!.decide([limit])).toMatchObject({ leased: true });
    expect(await holder!.decide([limit])).not.toHaveProperty('leased');
  });

  it('stops renewing a lease once its subject is blocked by another process', async () => {
    // A hard limit at 150 % of a quota of 200 an hour: 300 attempts, then a block.
    const limit = limitOf(200, 3_600);
    const [holder, other] = processes(2, 60_000, 150);
    expect(admitted(await Promise.all(Array.from({ length: 20 }, () => holder!.decide([limit]))))).toBe(20);
    expect(await holder!.decide([limit])).toMatchObject({ leased: true });
    // The other process pushes its attempts past the hard limit: the subject is blocked.
    let blocked = false;
    for (let i = 0; i < 400 && !blocked; i++) blocked = (await other!.decide([limit])).outcome === 'blocked';
    expect(blocked).toBe(true);

    // The holder spends its lease (1/8 of the 180 left: 22, one spent) down to a quarter (5),
    // which renews it; Redis lets it keep none of the 5, so the next request is refused.
    let leased = 0;
    for (;;) {
      const d = await holder!.decide([limit]);
      if (!(d.outcome === 'admitted' && d.leased)) {
        expect(d).toMatchObject({ outcome: 'blocked' });
        break;
      }
      leased++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(leased).toBe(21 - 5);
  });

  it('gives back what a lease did not spend when it ends', async () => {
    const limit = limitOf(100, 36_000);
    const [holder] = processes(1, 200);
    expect(admitted(await Promise.all(Array.from({ length: 20 }, () => holder!.decide([limit]))))).toBe(20);
    for (let i = 0; i < 3; i++) expect(await holder!.decide([limit])).toMatchObject({ leased: true });
    await new Promise((resolve) => setTimeout(resolve, 250));

    const after = await holder!.decide([limit]);

    // 24 spent: the 7 leased tokens not spent are back in the budget.
    expect(after).toMatchObject({ outcome: 'admitted', limits: [{ remaining: 100 - 24 }] });
    expect(after).not.toHaveProperty('leased');
  });
});
