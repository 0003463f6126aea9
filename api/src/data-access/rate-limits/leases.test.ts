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
    busy(leases, 'k', 10, 0).settle(0, 3, state);

    expect(leases.spend(['k'], 50)).toEqual([{ remaining: 502, reset_ms: 950 }]);
    expect(leases.spend(['k'], 94)).toHaveLength(1);
    // 95 ms is the end with its 5 % spare: Redis ends the lease 100 ms after it ran the script.
    expect(leases.spend(['k'], 95)).toBeUndefined();
  });

  it('admits from leases only when every limit of the request holds one', () => {
    const leases = createLeases({ lease_ms: 100 });
    busy(leases, 'key', 10).settle(0, 5, state);
    expect(leases.spend(['key', 'tenant'], 1)).toBeUndefined();
    // The key's tokens were not spent by the refused attempt: the next call gives all five back.
    expect(leases.open('key', 2)).toMatchObject({ closes: true, back: 5 });
  });

  it('lets only one call in flight close or ask for a lease; the others leave it alone', () => {
    const leases = createLeases({ lease_ms: 100 });
    const first = busy(leases, 'k', 10);
    const second = leases.open('k', 1);
    expect(first).toMatchObject({ closes: true });
    expect(second).toMatchObject({ closes: false, back: 0, asks: 0 });

    first.settle(0, 4, state);
    second.settle(1, 0, state);
    expect(leases.open('k', 2)).toMatchObject({ closes: true, back: 4 });
  });

  it('never gives a lease to an entry opened after the one its call was for (evicted meanwhile)', () => {
    const leases = createLeases({ lease_ms: 100, entries_max: 1 });
    const call = busy(leases, 'a', 10);
    leases.spend(['b'], 0); // evicts a
    const again = leases.open('a', 1);
    expect(again).toMatchObject({ closes: true, back: 0 });

    call.settle(0, 9, state);

    expect(leases.spend(['a'], 2)).toBeUndefined();
  });

  it('stops spending a limit once its subject is blocked, and leases nothing when off', () => {
    const leases = createLeases({ lease_ms: 100 });
    busy(leases, 'k', 10).settle(0, 5, state);
    leases.drop('k');
    expect(leases.spend(['k'], 1)).toBeUndefined();

    const off = createLeases({ lease_ms: 0 });
    expect(off.enabled).toBe(false);
    expect(busy(off, 'k', 100)).toMatchObject({ closes: false, asks: 0 });
  });
});
