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
