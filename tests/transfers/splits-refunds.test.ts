import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Producer } from 'kafkajs';
import { ledgerViolations } from '../../domain/ledger-invariants';
import { divRoundHalfEven } from '../../domain/money';
import { refundViolations } from '../../domain/refund-invariants';
import { client, fundedAccount, idem, newTenant, settled, type Client } from '../support/client';
import { eventually } from '../support/eventually';
import { ADMIN_TOKEN, startSystem, type System } from '../support/system';
import { commandEnvelope } from '../support/kafka-messages';

type Leg = { destination_account_id: string; amount: number | string };
interface LegOut {
  index: number;
  destination_account_id: string;
  amount: string;
  destination_amount: string;
  refunded_amount: string | null;
  refunded_destination_amount: string | null;
}

const balanceOf = async (api: Client, id: string) =>
  (await api.get(`/v1/accounts/${id}`)).body.balance as string;

const refund = (api: Client, id: string, body?: object, key = idem()) =>
  api.post(`/v1/transfers/${id}/refunds`, body, key);

/** Pays a split and waits for it to commit. */
async function paySplit(api: Client, source: string, currency: string, legs: Leg[]) {
  const accepted = await api.post('/v1/transfers', { source_account_id: source, legs, currency }, idem());
  expect(accepted.status).toBe(202);
  const done = await settled(api, accepted.body.id);
  expect(done.status).toBe('committed');
  return done as { id: string; legs: LegOut[] };
}

describe('refunds of split transfers, leg by leg', () => {
  let system: System;
  let producer: Producer;
  beforeAll(async () => {
    system = await startSystem();
    producer = await system.directProducer();
    // Pairs no other test file sets: rates are shared by every file using this database.
    const admin = client(system.url, ADMIN_TOKEN);
    expect((await admin.put('/v1/admin/fx-rates/GBP/AED', { rate: '4.6713' })).status).toBe(200);
    expect((await admin.put('/v1/admin/fx-rates/EUR/CAD', { rate: '1.4613' })).status).toBe(200);
  });
  afterAll(async () => {
    await system.stop();
  });

  const refundsOf = async (id: string) =>
    (
      await system.pool.query<{ status: string; reason: string | null; amount: string; refund_leg: number }>(
        `SELECT status, reason, amount::text, refund_leg FROM transfers WHERE refund_of = $1 ORDER BY created_at`,
        [id],
      )
    ).rows;

  it('lets each payee refund its own legs: a cross-currency leg at its recorded rate, and every leg in full returns exactly the source amount', async () => {
    const payer = await newTenant(system.url, 'Buyer');
    const seller = await newTenant(system.url, 'Seller');
    const platform = await newTenant(system.url, 'Platform');
    const stranger = await newTenant(system.url, 'Stranger');
    const card = await fundedAccount(payer.api, 'GBP', 100_000);
    const sellerAed = await fundedAccount(seller.api, 'AED', 0);
    const sellerGbp = await fundedAccount(seller.api, 'GBP', 0);
    const fee = await fundedAccount(platform.api, 'GBP', 0);
    const split = await paySplit(payer.api, card, 'GBP', [
      { destination_account_id: sellerAed, amount: 7_000 },
      { destination_account_id: fee, amount: 500 },
      { destination_account_id: sellerGbp, amount: 2_500 },
    ]);
    // 70.00 GBP at 4.6713 = 326.991 AED: 326.99.
    expect(split.legs[0]).toMatchObject({ destination_amount: '32699', refunded_amount: '0' });
    // A rate change after the payment changes nothing for its refunds.
    const admin = client(system.url, ADMIN_TOKEN);
    expect((await admin.put('/v1/admin/fx-rates/GBP/AED', { rate: '5' })).status).toBe(200);

    // The seller is paid by two legs: it says which; a leg it was not paid by is refused alike,
    // whether it exists (the platform's) or not; the buyer and a stranger cannot refund at all.
    const which = await refund(seller.api, split.id, {});
    expect([which.status, which.body.error.details]).toEqual([
      400,
      [expect.objectContaining({ field: 'leg', code: 'refund_leg_required' })],
    ]);
    for (const leg of [1, 7]) {
      const notMine = await refund(seller.api, split.id, { leg });
      expect([notMine.status, notMine.body.error.details[0].code]).toEqual([400, 'refund_leg_not_owned']);
    }
    for (const api of [payer.api, stranger.api])
      expect((await refund(api, split.id, { leg: 0 })).status).toBe(404);

    // The platform is paid by one leg: inferred, all that remains by default.
    const feeBack = await refund(platform.api, split.id);
    expect(feeBack.body).toMatchObject({ status: 'pending', refund_leg: 1, source_account_id: fee });
    expect(await settled(platform.api, feeBack.body.id)).toMatchObject({
      status: 'committed',
      kind: 'refund',
      refund_of: split.id,
      refund_leg: 1,
      amount: '500',
      currency: 'GBP',
      destination_account_id: card,
      destination_amount: '500',
    });

    // 100.00 AED of the 326.99: cumulatively round(10000 × 7000 / 32699) = 2141 pence back.
    const part = await settled(
      seller.api,
      (await refund(seller.api, split.id, { leg: 0, amount: 10_000 })).body.id,
    );
    expect(part).toMatchObject({
      status: 'committed',
      refund_leg: 0,
      amount: '10000',
      currency: 'AED',
      destination_amount: divRoundHalfEven(10_000n * 7_000n, 32_699n).toString(),
      destination_currency: 'GBP',
    });
    const rest = await settled(seller.api, (await refund(seller.api, split.id, { leg: 0 })).body.id);
    expect(rest).toMatchObject({ status: 'committed', amount: '22699', destination_amount: '4859' });
    const gbpLeg = await settled(seller.api, (await refund(seller.api, split.id, { leg: 2 })).body.id);
    expect(gbpLeg).toMatchObject({ status: 'committed', amount: '2500', destination_amount: '2500' });
    const more = await refund(seller.api, split.id, { leg: 0, amount: 1 });
    expect([more.status, more.body.error.details[0].code]).toEqual([400, 'refund_exceeds_original']);

    // The payer sees every leg given back, and exactly what it paid in total.
    const original = (await payer.api.get(`/v1/transfers/${split.id}`)).body;
    expect(original).toMatchObject({ refunded_amount: '10000', refunded_destination_amount: null });
    expect(original.legs.map((l: LegOut) => [l.refunded_amount, l.refunded_destination_amount])).toEqual([
      ['7000', '32699'],
      ['500', '500'],
      ['2500', '2500'],
    ]);
    // Each payee sees its own legs' refunds only.
    expect((await platform.api.get(`/v1/transfers/${split.id}`)).body).toMatchObject({
      refunded_amount: '500',
      legs: [{ index: 1, refunded_amount: '500' }],
    });
    expect(await balanceOf(payer.api, card)).toBe('100000');
    for (const [api, id] of [
      [seller.api, sellerAed],
      [seller.api, sellerGbp],
      [platform.api, fee],
    ] as const)
      expect(await balanceOf(api, id)).toBe('0');
    expect(await ledgerViolations(system.pool, [card, sellerAed, sellerGbp, fee])).toEqual([]);
    expect(await refundViolations(system.pool, [split.id])).toEqual([]);
  });

  it('refuses refunds of a split that is only held (409), and refunds its capture by leg', async () => {
    const payer = await newTenant(system.url, 'Buyer');
    const seller = await newTenant(system.url, 'Seller');
    const card = await fundedAccount(payer.api, 'GBP', 1_000);
    const till = await fundedAccount(seller.api, 'GBP', 0);
    const own = await fundedAccount(payer.api, 'GBP', 0);
    const held = await settled(
      payer.api,
      (
        await payer.api.post(
          '/v1/transfers',
          {
            source_account_id: card,
            currency: 'GBP',
            capture: 'manual',
            legs: [
              { destination_account_id: own, amount: 100 },
              { destination_account_id: till, amount: 300 },
            ],
          },
          idem(),
        )
      ).body.id,
    );
    expect(held.status).toBe('held');
    const early = await refund(seller.api, held.id, {});
    expect([early.status, early.body.error.code]).toEqual([409, 'transfer_not_refundable']);
    const capture = await payer.api.post(`/v1/transfers/${held.id}/capture`, {}, idem());
    expect((await settled(payer.api, capture.body.id)).status).toBe('committed');
    const back = await settled(
      seller.api,
      (await refund(seller.api, capture.body.id, { amount: 120 })).body.id,
    );
    expect(back).toMatchObject({
      status: 'committed',
      refund_of: capture.body.id,
      refund_leg: 1,
      amount: '120',
    });
    expect(await balanceOf(payer.api, card)).toBe('720');
    expect(await refundViolations(system.pool, [capture.body.id])).toEqual([]);
  });

  it('never refunds more than a leg when refunds of it race: the excess is rejected refund_exceeds_original', async () => {
    const payer = await newTenant(system.url, 'Buyer');
    const seller = await newTenant(system.url, 'Seller');
    const card = await fundedAccount(payer.api, 'GBP', 1_000);
    const till = await fundedAccount(seller.api, 'GBP', 500);
    const other = await fundedAccount(seller.api, 'GBP', 0);
    const split = await paySplit(payer.api, card, 'GBP', [
      { destination_account_id: other, amount: 50 },
      { destination_account_id: till, amount: 100 },
    ]);
    const replies = await Promise.all(
      Array.from({ length: 24 }, () => refund(seller.api, split.id, { leg: 1, amount: 7 })),
    );
    const outcomes = await Promise.all(
      replies.map(async (r) => {
        if (r.status !== 202) {
          expect([r.status, r.body.error.details[0].code]).toEqual([400, 'refund_exceeds_original']);
          return 'refused';
        }
        const done = await settled(seller.api, r.body.id);
        if (done.status !== 'committed') expect(done.reason.code).toBe('refund_exceeds_original');
        return done.status as string;
      }),
    );
    expect(outcomes.filter((s) => s === 'committed')).toHaveLength(14); // 14 × 7 = 98; a 15th is 105
    expect((await payer.api.get(`/v1/transfers/${split.id}`)).body.legs[1]).toMatchObject({
      refunded_amount: '98',
      refunded_destination_amount: '98',
    });
    expect(await balanceOf(payer.api, card)).toBe('948');
    expect(await refundViolations(system.pool, [split.id])).toEqual([]);
    expect(await ledgerViolations(system.pool, [card, till, other])).toEqual([]);
  });

  it('keeps both sides of every leg within it for any racing sequence of partial refunds, and full refunds return exactly the source amount (property)', async () => {
    const payer = await newTenant(system.url, 'Paris');
    const seller = await newTenant(system.url, 'Toronto');
    const card = await fundedAccount(payer.api, 'EUR', 100_000_000);
    const cad = await fundedAccount(seller.api, 'CAD', 0);
    const eur = await fundedAccount(seller.api, 'EUR', 0);
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(fc.integer({ min: 1, max: 200_000 }), fc.integer({ min: 1, max: 200_000 })),
        fc.array(
          fc.record({
            leg: fc.constantFrom(0, 1),
            amount: fc.option(fc.integer({ min: 1, max: 150_000 }), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 10 },
        ),
        async ([toCad, toEur], asks) => {
          const split = await paySplit(payer.api, card, 'EUR', [
            { destination_account_id: cad, amount: toCad },
            { destination_account_id: eur, amount: toEur },
          ]);
          const race = async (bodies: object[]) => {
            const replies = await Promise.all(bodies.map((b) => refund(seller.api, split.id, b)));
            return Promise.all(
              replies.filter((r) => r.status === 202).map((r) => settled(seller.api, r.body.id)),
            );
          };
          await race(asks.map((a) => (a.amount === undefined ? { leg: a.leg } : a)));
          const legs = (await payer.api.get(`/v1/transfers/${split.id}`)).body.legs as LegOut[];
          for (const l of legs) {
            const [taken, given] = [BigInt(l.refunded_destination_amount!), BigInt(l.refunded_amount!)];
            expect(taken <= BigInt(l.destination_amount) && given <= BigInt(l.amount)).toBe(true);
            // Whatever the order the refunds landed in, the source got back exactly its prorated share.
            expect(given).toBe(divRoundHalfEven(taken * BigInt(l.amount), BigInt(l.destination_amount)));
          }
          expect(await refundViolations(system.pool, [split.id])).toEqual([]);
          // Then all that remains of each leg: exactly what the source paid, leg by leg.
          await race([{ leg: 0 }, { leg: 1 }]);
          const after = (await payer.api.get(`/v1/transfers/${split.id}`)).body;
          expect(after.legs.map((l: LegOut) => l.refunded_amount)).toEqual([String(toCad), String(toEur)]);
          expect(after.refunded_amount).toBe(String(toCad + toEur));
        },
      ),
      { numRuns: 5 },
    );
    expect(await balanceOf(payer.api, card)).toBe('100000000');
    expect(await ledgerViolations(system.pool, [card, cad, eur])).toEqual([]);
  });

  it('applies a split refund redelivered straight from Kafka once, and rejects one naming no leg with the REST reason', async () => {
    const payer = await newTenant(system.url, 'Buyer');
    const seller = await newTenant(system.url, 'Seller');
    const card = await fundedAccount(payer.api, 'GBP', 1_000);
    const till = await fundedAccount(seller.api, 'GBP', 0);
    const second = await fundedAccount(seller.api, 'GBP', 0);
    const split = await paySplit(payer.api, card, 'GBP', [
      { destination_account_id: till, amount: 300 },
      { destination_account_id: second, amount: 200 },
    ]);
    const command = {
      tenant_id: seller.id,
      idempotency_key: `refund-${randomUUID()}`,
      refund_of: split.id,
      leg: 0,
      amount: '120',
    };
    const whole = {
      tenant_id: seller.id,
      idempotency_key: `whole-${randomUUID()}`,
      refund_of: split.id,
      leg: 0,
    };
    const noLeg = { tenant_id: seller.id, idempotency_key: `noleg-${randomUUID()}`, refund_of: split.id };
    const messages = [command, command, whole, noLeg, command, whole].map((p) => ({
      key: till,
      value: commandEnvelope('transfer.refund', p),
    }));
    await producer.send({ topic: system.topics.commands, messages: messages.slice(0, 4) });
    await eventually(async () => {
      const rows = await refundsOf(split.id);
      return rows.length === 3 && rows.every((r) => r.status !== 'pending');
    }, 20_000);
    await producer.send({ topic: system.topics.commands, messages: messages.slice(4) });
    // A marker after the redeliveries on the same partition: once it is decided, so are they.
    const marker = await seller.api.post(
      '/v1/transfers',
      { source_account_id: till, destination_account_id: second, amount: 1, currency: 'GBP' },
      idem(),
    );
    await settled(seller.api, marker.body.id);
    const decided = (await refundsOf(split.id)).map((r) => [r.status, r.reason, r.refund_leg, r.amount]);
    expect(decided.sort((a, b) => Number(a[3]) - Number(b[3]))).toEqual([
      ['committed', null, 0, '120'],
      ['committed', null, 0, '180'],
      // Recorded with the split's amount: no leg, so no leg's amount to take.
      ['rejected', 'refund_leg_required', null, '500'],
    ]);
    expect((await payer.api.get(`/v1/transfers/${split.id}`)).body.legs[0]).toMatchObject({
      refunded_amount: '300',
    });
    expect(await balanceOf(payer.api, card)).toBe('800');
    expect(await refundViolations(system.pool, [split.id])).toEqual([]);
    expect(await ledgerViolations(system.pool, [card, till, second])).toEqual([]);
  });
});
