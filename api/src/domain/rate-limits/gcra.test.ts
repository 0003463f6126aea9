import { createMemoryStore } from '../../data-access/rate-limits/memory-store';
import type { Decision } from './decision';
import type { Limit, Policy } from './policies';

const S = 1_000_000; // µs in a second

/** The in-memory store on a clock the test moves. */
function limiter(options: { hard_pct?: number; periods_s?: number[] } = {}) {
  let now = 1_000 * S;
  const store = createMemoryStore({
    hard_pct: options.hard_pct ?? 200,
    blocks: {
      periods_ms: (options.periods_s ?? [60, 300, 1800]).map((s) => s * 1_000),
      offence_memory_ms: 86_400_000,
    },
    entries_max: 1_000,
    now_us: () => now,
  });
  return {
    decide: (limits: Limit[]) => store.decide(limits),
    advance: (seconds: number) => {
      now += seconds * S;
    },
  };
}

const policy = (quota: number, window_s: number, name = 'p'): Policy => ({ name, quota, window_s });
const key = (p: Policy, id = 'k1'): Limit => ({ policy: p, subject: 'key', id });
const outcomes = async (l: ReturnType<typeof limiter>, limits: Limit[], n: number) => {
  const out: Decision[] = [];
  for (let i = 0; i < n; i++) out.push(await l.decide(limits));
  return out;
};

describe('the generic cell rate algorithm with hard limits (the reference the Lua script follows)', () => {
  it('admits a whole quota at once, counts down the remaining, and refuses the next with the wait until one more fits', async () => {
    const l = limiter();
    const limits = [key(policy(5, 10))];

    const out = await outcomes(l, limits, 6);

    expect(out.slice(0, 5).map((d) => d.outcome === 'admitted' && d.limits[0]!.remaining)).toEqual([
      4, 3, 2, 1, 0,
    ]);
    expect(out[5]).toMatchObject({ outcome: 'limited', wait_ms: 2_000 });
  });

  it('refills evenly: one request per window/quota', async () => {
    const l = limiter();
    const limits = [key(policy(5, 10))];
    await outcomes(l, limits, 5);

    l.advance(1.999);
    const early = await l.decide(limits);
    l.advance(0.001);
    const onTime = await l.decide(limits);

    expect(early.outcome).toBe('limited');
    expect(onTime.outcome).toBe('admitted');
  });

  it('blocks once the attempts, refused ones included, pass the hard limit, with pressure rising before', async () => {
    const l = limiter({ hard_pct: 200, periods_s: [60] });
    const limits = [key(policy(4, 60))];

    const out = await outcomes(l, limits, 9);

    expect(out.map((d) => d.outcome)).toEqual([
      ...Array(4).fill('admitted'),
      ...Array(4).fill('limited'),
      'blocked',
    ]);
    const pressures = out.slice(4, 8).map((d) => (d.outcome === 'limited' ? d.pressure : NaN));
    expect(pressures).toEqual([0.25, 0.5, 0.75, 1]);
    expect(out[8]).toEqual({ outcome: 'blocked', index: 0, left_ms: 60_000, offence: 1 });
  });

  it('answers a blocked subject with the time left, then lets it go when the block ends', async () => {
    const l = limiter({ hard_pct: 100, periods_s: [30] });
    const limits = [key(policy(1, 60))];
    await outcomes(l, limits, 2);

    l.advance(10);
    const during = await l.decide(limits);
    l.advance(80);
    const after = await l.decide(limits);

    expect(during).toEqual({ outcome: 'blocked', index: 0, left_ms: 20_000, offence: 1 });
    expect(after.outcome).toBe('admitted');
  });

  it('escalates the block period on each repeat offence, the last period repeating', async () => {
    const l = limiter({ hard_pct: 100, periods_s: [1, 5, 30] });
    const limits = [key(policy(1, 1))];
    const periods: number[] = [];
    for (let offence = 0; offence < 4; offence++) {
      const out = await outcomes(l, limits, 2);
      const blocked = out[1]!;
      if (blocked.outcome !== 'blocked') throw new Error(`expected a block, got ${blocked.outcome}`);
      periods.push(blocked.left_ms);
      l.advance(blocked.left_ms / 1_000 + 1);
    }
    expect(periods).toEqual([1_000, 5_000, 30_000, 30_000]);
  });

  it('charges no limit when another refuses: the tenant ceiling refusing leaves the key budget untouched', async () => {
    const l = limiter();
    const tenant: Limit = { policy: policy(2, 60, 'tenant'), subject: 'tenant', id: 't1' };
    await outcomes(l, [key(policy(10, 60), 'k1'), tenant], 2);

    const refused = await l.decide([key(policy(10, 60), 'k2'), tenant]);
    const k2Alone = await l.decide([key(policy(10, 60), 'k2')]);

    expect(refused).toMatchObject({ outcome: 'limited', limits: [{ remaining: 10 }, { remaining: 0 }] });
    expect(k2Alone).toMatchObject({ outcome: 'admitted', limits: [{ remaining: 9 }] });
  });

  it('blocks only the subject that went past its hard limit', async () => {
    const l = limiter({ hard_pct: 100 });
    await outcomes(l, [key(policy(1, 60), 'noisy')], 2);

    const quiet = await l.decide([key(policy(1, 60), 'quiet')]);

    expect(quiet.outcome).toBe('admitted');
  });
});
