import fc from 'fast-check';
import { ledgerViolations } from '../../domain/ledger-invariants';
import { client, fundedAccount, idem, newTenant, settled, type Client } from '../support/client';
import { ADMIN_TOKEN, startSystem, type System } from '../support/system';

/**
 * Random short sequences of holds, captures (whole or part), voids and plain transfers, against
 * the real services, each decided before the next is sent, checked against the plainest model of
 * what each should do; then the books (ledgerViolations) and every account's available.
 */

/** Two AED accounts that pay, one BRL account that is paid across currencies (a pair no other test sets). */
const SOURCES = 2;
const RATE = 3n;
const FUNDS = [500n, 200n];

type Op =
  | { t: 'transfer'; from: number; to: number; amount: number }
  | { t: 'hold'; from: number; to: number; amount: number }
  | { t: 'capture'; hold: number; amount: number | null }
  | { t: 'void'; hold: number };

const amount = fc.integer({ min: 1, max: 300 });
// A payer and a payee other than itself: the other payer or the BRL account (index 2).
const route = fc
  .record({ from: fc.integer({ min: 0, max: SOURCES - 1 }), hop: fc.integer({ min: 1, max: 2 }) })
  .map(({ from, hop }) => ({ from, to: (from + hop) % 3 }));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(route, amount).map(([r, n]): Op => ({ t: 'transfer', ...r, amount: n })),
  fc.tuple(route, amount).map(([r, n]): Op => ({ t: 'hold', ...r, amount: n })),
  fc.record({
    t: fc.constant('capture' as const),
    hold: fc.nat(),
    amount: fc.option(amount, { nil: null }),
  }),
  fc.record({ t: fc.constant('void' as const), hold: fc.nat() }),
);

interface ModelHold {
  id: string;
  from: number;
  to: number;
  amount: bigint;
  open: boolean;
}

describe('holds, captures, voids and transfers in random order against the real services (property)', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
    const admin = client(system.url, ADMIN_TOKEN);
    expect((await admin.put('/v1/admin/fx-rates/AED/BRL', { rate: RATE.toString() })).status).toBe(200);
  });
  afterAll(async () => {
    await system.stop();
  });

  it('agrees with the model at every step; the books balance and available = balance − held ≥ 0 after', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        const { api } = await newTenant(system.url);
        const accounts = [
          await fundedAccount(api, 'AED', FUNDS[0]!.toString()),
          await fundedAccount(api, 'AED', FUNDS[1]!.toString()),
          await fundedAccount(api, 'BRL', 0),
        ];
        const balance = [...FUNDS, 0n];
        const held = [0n, 0n, 0n];
        const holds: ModelHold[] = [];
        const available = (i: number) => balance[i]! - held[i]!;

        for (const o of ops) await step(api, o, accounts, { balance, held, holds, available });

        for (const [i, id] of accounts.entries()) {
          const a = (await api.get(`/v1/accounts/${id}`)).body;
          expect([i, a.balance, a.held, a.available]).toEqual([
            i,
            balance[i]!.toString(),
            held[i]!.toString(),
            available(i).toString(),
          ]);
          expect(BigInt(a.available)).toBe(BigInt(a.balance) - BigInt(a.held));
          expect(BigInt(a.available) >= 0n).toBe(true);
        }
        expect(await ledgerViolations(system.pool, accounts)).toEqual([]);
      }),
      { numRuns: 10, endOnFailure: true },
    );
  });
});

interface Model {
  balance: bigint[];
  held: bigint[];
  holds: ModelHold[];
  available: (i: number) => bigint;
}

/** Sends one operation, waits for its decision and checks it against the model, which it advances. */
async function step(api: Client, o: Op, accounts: string[], m: Model): Promise<void> {
  const credit = (to: number, n: bigint) => (to === 2 ? n * RATE : n);
  if (o.t === 'transfer' || o.t === 'hold') {
    const n = BigInt(o.amount);
    const accepted = await api.post(
      '/v1/transfers',
      {
        source_account_id: accounts[o.from],
        destination_account_id: accounts[o.to],
        amount: o.amount,
        currency: 'AED',
        ...(o.t === 'hold' ? { capture: 'manual' } : {}),
      },
      idem(),
    );
    expect(accepted.status).toBe(202);
    const decided = await settled(api, accepted.body.id);
    const fits = m.available(o.from) >= n;
    if (o.t === 'hold') m.holds.push({ id: decided.id, from: o.from, to: o.to, amount: n, open: fits });
    if (!fits) {
      expect([o.t, decided.status, decided.reason?.code]).toEqual([o.t, 'rejected', 'insufficient_funds']);
      return;
    }
    expect([o.t, decided.status]).toEqual([o.t, o.t === 'hold' ? 'held' : 'committed']);
    if (o.t === 'hold') m.held[o.from]! += n;
    else {
      m.balance[o.from]! -= n;
      m.balance[o.to]! += credit(o.to, n);
    }
    return;
  }
  // A follow-up of one of the holds requested so far (none yet: nothing to do).
  if (m.holds.length === 0) return;
  const h = m.holds[o.hold % m.holds.length]!;
  const body =
    o.t === 'capture' && o.amount !== null ? { amount: o.amount } : o.t === 'capture' ? {} : undefined;
  const accepted = await api.post(`/v1/transfers/${h.id}/${o.t}`, body, idem());
  const requested = o.t === 'capture' && o.amount !== null ? BigInt(o.amount) : null;
  if (requested !== null && requested > h.amount) {
    expect([accepted.status, accepted.body.error?.details?.[0]?.code]).toEqual([400, 'capture_exceeds_hold']);
    return;
  }
  expect(accepted.status).toBe(202);
  const decided = await settled(api, accepted.body.id);
  if (!h.open) {
    expect([o.t, decided.status, decided.reason?.code]).toEqual([o.t, 'rejected', 'hold_not_open']);
    return;
  }
  expect([o.t, decided.status]).toEqual([o.t, 'committed']);
  h.open = false;
  m.held[h.from]! -= h.amount;
  if (o.t === 'capture') {
    const captured = requested ?? h.amount;
    m.balance[h.from]! -= captured;
    m.balance[h.to]! += credit(h.to, captured);
    expect(decided.amount).toBe(captured.toString());
    if (h.to === 2) expect(decided.destination_amount).toBe((captured * RATE).toString());
  }
}
