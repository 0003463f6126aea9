import fc from 'fast-check';
import { holdActionFingerprint } from '../../../domain/fingerprint';
import { decideBatch, type BatchState } from './decide-batch';
import { expiryCommand } from './parse-command';
import type { AccountState, Command, HoldSnapshot } from './types';

const T = 'tenant';
const DAY_MS = 86_400_000;
const CUSTOMERS = ['a', 'b', 'c'];
const WORLD = `${T}:world:USD`;

/** The tenant's customers and its world account, active, with these balances and nothing held. */
const ledgerOf = (balanceOf: (id: string) => bigint = () => 0n) =>
  new Map<string, AccountState>(
    [...CUSTOMERS, WORLD].map((id) => [
      id,
      {
        id,
        tenantId: T,
        kind: id === WORLD ? 'world' : 'customer',
        currency: 'USD',
        status: 'active',
        balance: balanceOf(id),
        held: 0n,
      },
    ]),
  );

type Op =
  | { t: 'transfer'; from: number; to: number; amount: number }
  | { t: 'withdrawal'; from: number; amount: number }
  | { t: 'hold'; from: number; to: number | null; amount: number }
  | { t: 'capture'; hold: number; amount: number | null }
  | { t: 'void'; hold: number }
  | { t: 'expire'; hold: number };

/** A batch's state: these accounts (and known holds), nothing decided before, no exchange rates. */
const stateOf = (
  accounts: Map<string, AccountState>,
  holds: Map<string, HoldSnapshot> | undefined,
  now: Date,
): BatchState => ({
  existing: new Map(),
  transferIdOwners: new Map(),
  accounts,
  systemAccountId: () => WORLD,
  rate: () => undefined,
  ...(holds ? { holds } : {}),
  now,
});

const amount = fc.integer({ min: 1, max: 400 });
const who = fc.integer({ min: 0, max: CUSTOMERS.length - 1 });
const holdRef = fc.integer({ min: 0, max: 30 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('transfer' as const), from: who, to: who, amount }),
  fc.record({ t: fc.constant('withdrawal' as const), from: who, amount }),
  fc.record({ t: fc.constant('hold' as const), from: who, to: fc.option(who, { nil: null }), amount }),
  fc.record({ t: fc.constant('capture' as const), hold: holdRef, amount: fc.option(amount, { nil: null }) }),
  fc.record({ t: fc.constant('void' as const), hold: holdRef }),
  fc.record({ t: fc.constant('expire' as const), hold: holdRef }),
);

let seq = 0;
function toCommand(o: Op, holdIds: string[]): Command {
  const key = `k${seq++}`;
  const base = {
    transferId: `t-${key}`,
    tenantId: T,
    idempotencyKey: key,
    requestHash: Buffer.from(key),
    description: null,
    metadata: null,
    hold: null,
    holdId: null,
    requestedAmount: null,
    currency: 'USD',
  };
  const account = (i: number) => CUSTOMERS[i]!;
  switch (o.t) {
    case 'transfer':
      return {
        ...base,
        kind: 'transfer',
        sourceAccountId: account(o.from),
        destinationAccountId: account(o.to),
        amount: BigInt(o.amount),
      };
    case 'withdrawal':
      return {
        ...base,
        kind: 'withdrawal',
        sourceAccountId: account(o.from),
        destinationAccountId: null,
        amount: BigInt(o.amount),
      };
    case 'hold':
      return {
        ...base,
        kind: o.to === null ? 'withdrawal' : 'transfer',
        sourceAccountId: account(o.from),
        destinationAccountId: o.to === null ? null : account(o.to),
        amount: BigInt(o.amount),
        hold: { expiresAt: null },
      };
    default: {
      // A follow-up of one of the holds requested so far, or of one that does not exist.
      const holdId = holdIds.length > 0 && o.hold < 25 ? holdIds[o.hold % holdIds.length]! : 'no-such-hold';
      const requested = o.t === 'capture' && o.amount !== null ? BigInt(o.amount) : null;
      return {
        ...base,
        kind: o.t,
        sourceAccountId: null,
        destinationAccountId: null,
        amount: requested ?? 0n,
        currency: '',
        holdId,
        requestedAmount: requested,
        requestHash: holdActionFingerprint(o.t, holdId, requested),
      };
    }
  }
}

/** The reference: the semantics of holds written as plainly as possible, one command at a time. */
interface ModelHold {
  from: string;
  to: string | null;
  amount: bigint;
  status: 'held' | 'rejected' | 'captured' | 'voided' | 'expired';
  expiresAt: number;
}
function model(balances: Map<string, bigint>, held: Map<string, bigint>, holds: Map<string, ModelHold>) {
  const avail = (id: string) => balances.get(id)! - held.get(id)!;
  const move = (from: string, to: string, n: bigint) => {
    balances.set(from, balances.get(from)! - n);
    balances.set(to, balances.get(to)! + n);
  };
  return (c: Command, now: number): string => {
    if (c.holdId === null) {
      const from = c.sourceAccountId!;
      const to = c.destinationAccountId ?? WORLD;
      const reason = from === to ? 'same_account' : avail(from) < c.amount ? 'insufficient_funds' : null;
      if (reason) {
        // A rejected hold stays a (closed) hold to its follow-ups.
        if (c.hold) holds.set(c.transferId, { from, to, amount: c.amount, status: 'rejected', expiresAt: 0 });
        return `rejected:${reason}`;
      }
      if (!c.hold) {
        move(from, to, c.amount);
        return 'committed';
      }
      held.set(from, held.get(from)! + c.amount);
      holds.set(c.transferId, { from, to, amount: c.amount, status: 'held', expiresAt: now + 7 * DAY_MS });
      return 'held';
    }
    const h = holds.get(c.holdId);
    if (!h) return 'dup:hold_not_found';
    if (c.kind === 'expire' && (h.status !== 'held' || now < h.expiresAt)) return 'dup:expiry_skipped';
    if (h.status !== 'held') return 'rejected:hold_not_open';
    // Too late: the hold lapsed at expires_at, so the system releases it and the follow-up fails.
    if (c.kind !== 'expire' && now >= h.expiresAt) {
      held.set(h.from, held.get(h.from)! - h.amount);
      h.status = 'expired';
      return 'rejected:hold_not_open';
    }
    const captured = c.kind === 'capture' ? (c.requestedAmount ?? h.amount) : 0n;
    if (captured > h.amount) return 'rejected:capture_exceeds_hold';
    held.set(h.from, held.get(h.from)! - h.amount);
    if (captured > 0n) move(h.from, h.to!, captured);
    h.status = c.kind === 'capture' ? 'captured' : c.kind === 'void' ? 'voided' : 'expired';
    return 'committed';
  };
}

describe('holds, captures, voids and expiries decided in partition order (property)', () => {
  it('rejects hold_not_open a void of a hold rejected earlier in the same batch (never hold_not_found: its API row would stay pending)', () => {
    const accounts = ledgerOf();
    const hold = toCommand({ t: 'hold', from: 0, to: 1, amount: 10 }, []);
    const voiding = toCommand({ t: 'void', hold: 0 }, [hold.transferId]);
    const d = decideBatch([hold, voiding], stateOf(accounts, undefined, new Date(0)));
    expect(d.duplicates).toEqual([]);
    expect(d.outcomes.map((o) => o.reason)).toEqual(['insufficient_funds', 'hold_not_open']);
  });

  it('agrees with the reference at every step, and every invariant of holds holds after each batch', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000 }), { minLength: 3, maxLength: 3 }),
        fc.array(op, { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 20 }),
        (funds, ops, cuts, gaps) => {
          // Ledger state carried from batch to batch, as the database would.
          const accounts = ledgerOf((id) =>
            id === WORLD ? -BigInt(funds.reduce((x, y) => x + y, 0)) : BigInt(funds[CUSTOMERS.indexOf(id)]!),
          );
          let holds = new Map<string, HoldSnapshot>();
          const refBalances = new Map([...accounts].map(([id, a]) => [id, a.balance]));
          const refHeld = new Map([...accounts].map(([id]) => [id, 0n]));
          const refHolds = new Map<string, ModelHold>();
          const reference = model(refBalances, refHeld, refHolds);
          const holdIds: string[] = [];
          const commands = ops.map((o) => {
            const c = toCommand(o, holdIds);
            if (c.hold) holdIds.push(c.transferId);
            return c;
          });

          let start = 0;
          let elapsed_ms = 0;
          for (let b = 0; start < commands.length; b++) {
            const batch = commands.slice(start, start + cuts[b % cuts.length]!);
            start += batch.length;
            // Days pass between batches: holds (7 days by default) come due along the way, and
            // follow-ups land before, exactly at and after expires_at.
            elapsed_ms += gaps[b % gaps.length]! * DAY_MS;
            const now = new Date(elapsed_ms);
            const d = decideBatch(batch, stateOf(accounts, holds, now));
            const got = new Map<Command, string>();
            for (const o of d.outcomes) got.set(o.command, o.reason ? `rejected:${o.reason}` : o.status);
            for (const x of d.duplicates) got.set(x.command, `dup:${x.kind}`);
            const byId = new Map([...got].map(([c, v]) => [c.transferId, v]));
            for (const c of batch)
              expect([c.kind, byId.get(c.transferId)]).toEqual([c.kind, reference(c, now.getTime())]);

            for (const o of d.outcomes) {
              // Entries balance, and a capture posts exactly what it captured.
              expect(o.entries.reduce((s, e) => s + e.amount, 0n)).toBe(0n);
              if (o.command.kind === 'capture' && o.status === 'committed') {
                expect(o.entries.find((e) => e.accountId === o.command.sourceAccountId)!.amount).toBe(
                  -o.command.amount,
                );
                expect(o.holdAfter!.hold.capturedAmount).toBe(o.command.amount);
              }
              if (o.command.kind === 'void' || o.command.kind === 'expire' || o.status !== 'committed')
                expect(o.entries).toEqual([]);
            }
            // Carry the batch's result over, as the database would.
            for (const [id, balance] of d.balances) accounts.set(id, { ...accounts.get(id)!, balance });
            for (const [id, held] of d.held) accounts.set(id, { ...accounts.get(id)!, held });
            holds = d.holds;

            const open = new Map<string, bigint>();
            for (const h of holds.values()) {
              if (h.status === 'held')
                open.set(h.sourceAccountId!, (open.get(h.sourceAccountId!) ?? 0n) + h.amount);
              if (['captured', 'voided', 'expired'].includes(h.status)) {
                const { capturedAmount, releasedAmount } = h.hold;
                expect(capturedAmount! + releasedAmount!).toBe(h.amount);
                expect(capturedAmount! >= 0n && capturedAmount! <= h.amount).toBe(true);
                if (h.status !== 'captured') expect(capturedAmount).toBe(0n);
              }
            }
            let total = 0n;
            for (const a of accounts.values()) {
              total += a.balance;
              expect(a.held).toBe(open.get(a.id) ?? 0n);
              expect(a.held).toBe(refHeld.get(a.id));
              expect(a.balance).toBe(refBalances.get(a.id));
              if (a.kind === 'customer') expect(a.balance - a.held >= 0n).toBe(true);
            }
            expect(total).toBe(0n);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('a capture or void decided at or after the hold expires_at', () => {
  const EXPIRES = new Date(7 * DAY_MS);
  const ledger = () => ledgerOf((id) => (id === WORLD ? -100n : id === 'a' ? 100n : 0n));
  /** A hold of 40 from a to b, open, due at EXPIRES; and the ledger as it left it. */
  function openHold() {
    const accounts = ledger();
    const hold = {
      ...toCommand({ t: 'hold', from: 0, to: 1, amount: 40 }, []),
      hold: { expiresAt: EXPIRES.toISOString() },
    };
    const d = decideBatch([hold], stateOf(accounts, new Map(), new Date(0)));
    expect(d.outcomes.map((o) => o.status)).toEqual(['held']);
    for (const [id, held] of d.held) accounts.set(id, { ...accounts.get(id)!, held });
    return { accounts, holds: d.holds, holdId: hold.transferId };
  }

  it.each([
    ['capture', 0],
    ['void', 0],
    ['capture', 1],
  ] as const)(
    'a %s %d ms after expires_at expires the hold as the system would, then is rejected hold_not_open',
    (kind, late_ms) => {
      const { accounts, holds, holdId } = openHold();
      const followUp = toCommand({ t: kind, hold: 0, amount: null }, [holdId]);
      const d = decideBatch([followUp], stateOf(accounts, holds, new Date(EXPIRES.getTime() + late_ms)));

      const expiry = expiryCommand(T, holdId);
      expect(d.duplicates).toEqual([]);
      expect(d.outcomes.map((o) => [o.command.kind, o.command.transferId, o.status, o.reason])).toEqual([
        ['expire', expiry.transferId, 'committed', null],
        [kind, followUp.transferId, 'rejected', 'hold_not_open'],
      ]);
      // The expiry is the sweeper's own command (same key and fingerprint), so it is recorded once.
      expect(d.outcomes[0]!.command.idempotencyKey).toBe(expiry.idempotencyKey);
      expect(d.outcomes[0]!.command.requestHash.equals(expiry.requestHash)).toBe(true);
      expect(d.outcomes[0]!.entries).toEqual([]);
      expect(d.outcomes[0]!.heldChanges).toEqual([{ accountId: 'a', amount: -40n }]);
      expect(d.outcomes[1]!.heldChanges).toEqual([]);
      expect(d.held.get('a')).toBe(0n);
      expect(d.balances.size).toBe(0);
      expect(d.holds.get(holdId)).toMatchObject({
        status: 'expired',
        hold: { capturedAmount: 0n, releasedAmount: 40n, resolvedBy: expiry.transferId },
      });
    },
  );

  it('a capture 1 ms before expires_at still captures', () => {
    const { accounts, holds, holdId } = openHold();
    const capture = toCommand({ t: 'capture', hold: 0, amount: 15 }, [holdId]);
    const d = decideBatch([capture], stateOf(accounts, holds, new Date(EXPIRES.getTime() - 1)));
    expect(d.outcomes.map((o) => [o.command.kind, o.status])).toEqual([['capture', 'committed']]);
    expect(d.holds.get(holdId)!.status).toBe('captured');
  });

  it("skips the sweeper's expiry that comes after, in the same batch or a later one, and records it once", () => {
    const { accounts, holds, holdId } = openHold();
    const late = new Date(EXPIRES.getTime() + 5_000);
    const capture = toCommand({ t: 'capture', hold: 0, amount: null }, [holdId]);
    const sweeperExpiry = expiryCommand(T, holdId);
    const d = decideBatch([capture, sweeperExpiry], stateOf(accounts, holds, late));
    expect(d.outcomes.map((o) => [o.command.kind, o.status])).toEqual([
      ['expire', 'committed'],
      ['capture', 'rejected'],
    ]);
    expect(d.duplicates.map((x) => [x.command.kind, x.kind])).toEqual([['expire', 'same']]);

    // A later batch: the expiry is on record, and the hold is closed.
    for (const [id, held] of d.held) accounts.set(id, { ...accounts.get(id)!, held });
    const onRecord = {
      id: sweeperExpiry.transferId,
      status: 'committed' as const,
      requestHash: sweeperExpiry.requestHash,
      createdAt: late,
      expiresAt: null,
    };
    const scope = `${T}\n${sweeperExpiry.idempotencyKey}`;
    for (const existing of [new Map(), new Map([[scope, onRecord]])]) {
      const again = decideBatch([expiryCommand(T, holdId)], {
        ...stateOf(accounts, d.holds, new Date(late.getTime() + 1_000)),
        existing,
      });
      expect(again.outcomes).toEqual([]);
      expect(again.duplicates.map((x) => x.kind)).toEqual([existing.size ? 'same' : 'expiry_skipped']);
    }
  });
});
