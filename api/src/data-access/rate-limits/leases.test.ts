import { createLeases } from './leases';

const state = { remaining: 500, reset_ms: 1_000 };
/** A limit seen `n` times at `now` (its demand), then opened for a call. */
function busy(leases: ReturnType<typeof createLeases>, key: string, n: number, now = 0) {
  for (let i = 0; i < n; i++) leases.spend([key], now);
  return leases.open(key, now);
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

    expect(leases.spend(['k'], 50)?.states).toEqual([{ remaining: 502, reset_ms: 950 }]);
    expect(leases.spend(['k'], 94)?.states).toHaveLength(1);
    // 95 ms is the end with its 5 % spare: Redis ends the lease 100 ms after it ran the script.
    expect(leases.spend(['k'], 95)).toBeUndefined();
  });

  it('admits from leases only when every limit of the request holds one', () => {
    const leases = createLeases({ lease_ms: 100 });
    busy(leases, 'key', 10).settle(0, { give: 5, kept: 0 }, state);
    expect(leases.spend(['key', 'tenant'], 1)).toBeUndefined();
    // The key's tokens were not spent by the refused attempt: a call after its end gives all five back.
    expect(leases.open('key', 96)).toMatchObject({ settles: true, back: 5, keeps: 0 });
  });

  it('lets only one call in flight settle or ask for a lease; the others leave it alone', () => {
    const leases = createLeases({ lease_ms: 100 });
    const first = busy(leases, 'k', 10);
    const second = leases.open('k', 1);
    expect(first).toMatchObject({ settles: true });
    expect(second).toMatchObject({ settles: false, back: 0, keeps: 0, asks: 0 });

    first.settle(0, { give: 4, kept: 0 }, state);
    second.settle(1, { give: 0, kept: 0 }, state);
    expect(leases.open('k', 96)).toMatchObject({ settles: true, back: 4 });
  });

  it('renews a live lease once it runs low, keeping its tokens and spending them while the call is out', () => {
    const leases = createLeases({ lease_ms: 100 });
    busy(leases, 'k', 10).settle(0, { give: 40, kept: 0 }, state);
    const dues = Array.from({ length: 31 }, () => leases.spend(['k'], 1)!.due);
    // Due once, at a quarter of the 40 left (10); then not again while that renewal is wanted.
    expect(dues.indexOf(true)).toBe(29);
    expect(dues.filter(Boolean)).toHaveLength(1);

    const renewal = leases.open('k', 2);
    // 10 + 31 seen this lease period: twice that is wanted, less the 9 kept.
    expect(renewal).toMatchObject({ settles: true, back: 0, keeps: 9, asks: 82 - 9 });
    expect(leases.spend(['k'], 3)?.states).toEqual([{ remaining: 508, reset_ms: 997 }]);
    renewal.settle(2, { give: 73, kept: 9 }, state);

    // The 8 kept and the 73 new, until 95 ms after the renewal was sent.
    expect(leases.spend(['k'], 96)?.states).toEqual([{ remaining: 580, reset_ms: 906 }]);
    expect(leases.spend(['k'], 97)).toBeUndefined();
  });

  it('renews a lease at half its time, and drops the kept tokens Redis did not let it keep', () => {
    const leases = createLeases({ lease_ms: 100 });
    busy(leases, 'k', 10).settle(0, { give: 100, kept: 0 }, state);
    expect(leases.spend(['k'], 49)!.due).toBe(false);
    expect(leases.spend(['k'], 50)!.due).toBe(true);

    // Blocked, or its lease already over in Redis: only the tokens given now are spent.
    leases.open('k', 51).settle(51, { give: 3, kept: 0 }, state);
    const spent = Array.from({ length: 4 }, () => leases.spend(['k'], 52));
    expect(spent.map((s) => s !== undefined)).toEqual([true, true, true, false]);
  });

  it('never gives a lease to an entry opened after the one its call was for (evicted meanwhile)', () => {
    const leases = createLeases({ lease_ms: 100, entries_max: 1 });
    const call = busy(leases, 'a', 10);
    leases.spend(['b'], 0); // evicts a
    const again = leases.open('a', 1);
    expect(again).toMatchObject({ settles: true, back: 0 });

    call.settle(0, { give: 9, kept: 0 }, state);

    expect(leases.spend(['a'], 2)).toBeUndefined();
  });

  it('stops spending a limit once its subject is blocked, and leases nothing when off', () => {
    const leases = createLeases({ lease_ms: 100 });
    busy(leases, 'k', 10).settle(0, { give: 5, kept: 0 }, state);
    leases.drop('k');
    expect(leases.spend(['k'], 1)).toBeUndefined();

    const off = createLeases({ lease_ms: 0 });
    expect(off.enabled).toBe(false);
    expect(busy(off, 'k', 100)).toMatchObject({ settles: false, asks: 0 });
  });
});
