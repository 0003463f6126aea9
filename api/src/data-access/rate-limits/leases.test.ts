import type { Limit } from '../../domain/rate-limits/policies';
import { createLeases } from './leases';

const state = { remaining: 500, reset_ms: 1_000 };
const policy = { name: 'key-write', quota: 1_000, window_s: 1 };
/** The limit of one API key (the objects differ per request; the policy and the id decide). */
const of = (id: string): Limit => ({ policy: { ...policy }, subject: 'key', id });
/** A limit seen `n` times at `now` (its demand), then opened for a call. */
function busy(leases: ReturnType<typeof createLeases>, id: string, n: number, now = 0) {
  for (let i = 0; i < n; i++) leases.spend([of(id)], now);
  return leases.open(of(id), now);
}

describe('leases, the process side', () => {
  it('asks for none until a limit is busy, then for twice what a lease period saw, at most 512', () => {
    const leases = createLeases({ lease_ms: 100 });
    expect(busy(leases, 'quiet', 7).asks).toBe(0);
    expect(busy(leases, 'busy', 8).asks).toBe(16);
    expect(busy(leases, 'flood', 1_000).asks).toBe(512);
  });

  it('spends a lease only before its end, measured from before the call was sent', () => {
    const leases = createLeases({ lease_ms: 100 });
    busy(leases, 'k', 10, 0).settle(0, { give: 3, kept: 0 }, state);

    expect(leases.spend([of('k')], 50)?.states).toEqual([{ remaining: 502, reset_ms: 950 }]);
    expect(leases.spend([of('k')], 94)?.states).toHaveLength(1);
    // 95 ms is the end with its 5 % spare: Redis ends the lease 100 ms after it ran the script.
    expect(leases.spend([of('k')], 95)).toBeUndefined();
  });

  it('admits from leases only when every limit of the request holds one', () => {
    const leases = createLeases({ lease_ms: 100 });
    busy(leases, 'key', 10).settle(0, { give: 5, kept: 0 }, state);
    expect(leases.spend([of('key'), of('tenant')], 1)).toBeUndefined();
    // The key's tokens were not spent by the refused attempt: a call after its end gives all five back.
    expect(leases.open(of('key'), 96)).toMatchObject({ settles: true, back: 5, keeps: 0 });
  });

  it('lets only one call in flight settle or ask for a lease; the others leave it alone', () => {
    const leases = createLeases({ lease_ms: 100 });
    const first = busy(leases, 'k', 10);
    const second = leases.open(of('k'), 1);
    expect(first).toMatchObject({ settles: true });
    expect(second).toMatchObject({ settles: false, back: 0, keeps: 0, asks: 0 });

    first.settle(0, { give: 4, kept: 0 }, state);
    second.settle(1, { give: 0, kept: 0 }, state);
    expect(leases.open(of('k'), 96)).toMatchObject({ settles: true, back: 4 });
  });

  it('renews a live lease once it runs low, keeping its tokens and spending them while the call is out', () => {
    const leases = createLeases({ lease_ms: 100 });
    busy(leases, 'k', 10).settle(0, { give: 40, kept: 0 }, state);
    const dues = Array.from({ length: 31 }, () => leases.spend([of('k')], 1)!.due);
    // Due once, at a quarter of the 40 left (10); then not again while that renewal is wanted.
    expect(dues.indexOf(true)).toBe(29);
    expect(dues.filter(Boolean)).toHaveLength(1);

    const renewal = leases.open(of('k'), 2);
    // 10 + 31 seen this lease period: twice that is wanted, less the 9 kept.
    expect(renewal).toMatchObject({ settles: true, back: 0, keeps: 9, asks: 82 - 9 });
    expect(leases.spend([of('k')], 3)?.states).toEqual([{ remaining: 508, reset_ms: 997 }]);
    renewal.settle(2, { give: 73, kept: 9 }, state);

    // The 8 kept and the 73 new, until 95 ms after the renewal was sent.
    expect(leases.spend([of('k')], 96)?.states).toEqual([{ remaining: 580, reset_ms: 906 }]);
    expect(leases.spend([of('k')], 97)).toBeUndefined();
  });

  it('renews a lease at half its time, and drops the kept tokens Redis did not let it keep', () => {
    const leases = createLeases({ lease_ms: 100 });
    busy(leases, 'k', 10).settle(0, { give: 100, kept: 0 }, state);
    expect(leases.spend([of('k')], 49)!.due).toBe(false);
    expect(leases.spend([of('k')], 50)!.due).toBe(true);

    // Blocked, or its lease already over in Redis: only the tokens given now are spent.
    leases.open(of('k'), 51).settle(51, { give: 3, kept: 0 }, state);
    const spent = Array.from({ length: 4 }, () => leases.spend([of('k')], 52));
    expect(spent.map((s) => s !== undefined)).toEqual([true, true, true, false]);
  });

  it('keeps at most entries_max limits per policy, never dropping one whose call is out', () => {
    const leases = createLeases({ lease_ms: 100, entries_max: 1 });
    const call = busy(leases, 'a', 10);
    leases.spend([of('b')], 0); // a's call is out: a stays, b is added over the bound
    // A second call for a leaves its lease alone: two calls never settle one lease in Redis.
    const second = leases.open(of('a'), 1);
    expect(second).toMatchObject({ settles: false });
    call.settle(0, { give: 9, kept: 0 }, state);
    second.failed();
    expect(leases.spend([of('a')], 2)?.states).toHaveLength(1);

    leases.spend([of('c')], 3); // none out now: the oldest, a, makes room
    expect(leases.open(of('a'), 4)).toMatchObject({ settles: true, back: 0, asks: 0 });
  });

  it('stops spending a limit once its subject is blocked, and leases nothing when off', () => {
    const leases = createLeases({ lease_ms: 100 });
    busy(leases, 'k', 10).settle(0, { give: 5, kept: 0 }, state);
    leases.drop(of('k'));
    expect(leases.spend([of('k')], 1)).toBeUndefined();

    const off = createLeases({ lease_ms: 0 });
    expect(off.enabled).toBe(false);
    expect(busy(off, 'k', 100)).toMatchObject({ settles: false, asks: 0 });
  });
});
