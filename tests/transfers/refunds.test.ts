import { randomUUID } from 'node:crypto';
import { insertPendingTransfers } from '../../api/src/data-access/transfers';
import { requestFingerprint } from '../../domain/fingerprint';
import { ledgerViolations } from '../../domain/ledger-invariants';
import { newId } from '../../platform/ids';
import { refundViolations } from '../../domain/refund-invariants';
import { client, fundedAccount, idem, newTenant, settled, type Client } from '../support/client';
import { ADMIN_TOKEN, startSystem, type System } from '../support/system';

const pay = async (api: Client, from: string, to: string, amount: number | string, currency = 'USD') => {
  const accepted = await api.post(
    '/v1/transfers',
    { source_account_id: from, destination_account_id: to, amount, currency },
    idem(),
  );
  const done = await settled(api, accepted.body.id);
  expect(done.status).toBe('committed');
  return done;
};

const refund = (api: Client, id: string, body?: object, key = idem()) =>
  api.post(`/v1/transfers/${id}/refunds`, body, key);

const balanceOf = async (api: Client, id: string) =>
  (await api.get(`/v1/accounts/${id}`)).body.balance as string;

describe('refunds: money back along a committed transfer', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system.stop();
  });

  /** A payer tenant paying a merchant tenant, as most refunds go. */
  async function merchantPaid(amount: number, payerFunds = 10_000) {
    const payer = await newTenant(system.url, 'Payer');
    const merchant = await newTenant(system.url, 'Merchant');
    const card = await fundedAccount(payer.api, 'USD', payerFunds);
    const till = await fundedAccount(merchant.api, 'USD', 0);
    const payment = await pay(payer.api, card, till, amount);
    return { payer, merchant, card, till, payment };
  }

  it('refunds in part, then all that remains by default; each refund is a transfer of kind refund linked to the original', async () => {
    const { payer, merchant, card, till, payment } = await merchantPaid(1_000);

    const first = await refund(merchant.api, payment.id, { amount: 300 });
    expect(first.status).toBe(202);
    expect(first.headers.get('location')).toMatch(new RegExp(`/v1/transfers/${first.body.id}$`));
    expect(first.body).toMatchObject({
      status: 'pending',
      kind: 'refund',
      refund_of: payment.id,
      amount: '300',
    });
    expect(await settled(merchant.api, first.body.id)).toMatchObject({
      status: 'committed',
      kind: 'refund',
      refund_of: payment.id,
      source_account_id: till,
      destination_account_id: card,
      amount: '300',
      destination_amount: '300',
      entries: [
        { account_id: till, direction: 'debit', amount: '300' },
        { account_id: card, direction: 'credit', amount: '300' },
      ],
    });
    const rest = await refund(merchant.api, payment.id);
    expect(await settled(merchant.api, rest.body.id)).toMatchObject({ status: 'committed', amount: '700' });

    // The original shows what was refunded, to both sides.
    for (const api of [payer.api, merchant.api])
      expect((await api.get(`/v1/transfers/${payment.id}`)).body).toMatchObject({
        status: 'committed',
        refunded_amount: '1000',
        refunded_destination_amount: '1000',
        refund_of: null,
      });
    expect(await balanceOf(payer.api, card)).toBe('10000');
    expect(await balanceOf(merchant.api, till)).toBe('0');
    // The payer sees the refunds it received; lists filter on the kind and the original.
    const listed = await payer.api.get(`/v1/transfers?kind=refund&refund_of=${payment.id}`);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((t: { id: string }) => t.id).sort()).toEqual(
      [first.body.id, rest.body.id].sort(),
    );
    expect((await merchant.api.get(`/v1/transfers?account_id=${till}&kind=transfer`)).body.data).toHaveLength(
      1,
    );

    // Nothing remains: refused at once, with the reason.
    const more = await refund(merchant.api, payment.id, { amount: 1 });
    expect(more.status).toBe(400);
    expect(more.body.error.details).toEqual([
      expect.objectContaining({ field: 'amount', code: 'refund_exceeds_original' }),
    ]);
    expect((await refund(merchant.api, payment.id)).status).toBe(400);
    expect(await ledgerViolations(system.pool, [card, till])).toEqual([]);
  });

  it('answers a replayed refund as replays are answered, even once the original is used up; another body under the key is 422', async () => {
    const { merchant, payment } = await merchantPaid(500);
    const key = idem();
    const first = await refund(merchant.api, payment.id, undefined, key);
    await settled(merchant.api, first.body.id);
    const again = await refund(merchant.api, payment.id, undefined, key);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(again.body).toMatchObject({ id: first.body.id, status: 'committed', amount: '500' });
    const other = await refund(merchant.api, payment.id, { amount: 5 }, key);
    expect([other.status, other.body.error.code]).toEqual([422, 'idempotency_key_reused']);
  });

  it('lets only the payee refund: the payer, another tenant and a missing transfer are all 404', async () => {
    const { payer, merchant, payment } = await merchantPaid(200);
    const stranger = await newTenant(system.url, 'Stranger');
    for (const [api, id] of [
      [payer.api, payment.id],
      [stranger.api, payment.id],
      [merchant.api, randomUUID()],
    ] as const) {
      const res = await refund(api, id, { amount: 1 });
      expect([res.status, res.body.error.code, res.body.error.message]).toEqual([
        404,
        'not_found',
        'transfer not found',
      ]);
    }
    expect((await merchant.api.get(`/v1/transfers/${payment.id}`)).body.refunded_amount).toBe('0');
  });

  it('refuses deposits, withdrawals and rejected transfers (409 transfer_not_refundable), and checks the request', async () => {
    const { api } = await newTenant(system.url);
    const account = await fundedAccount(api, 'USD', 100);
    const other = await fundedAccount(api, 'USD', 0);
    const deposit = (await api.get(`/v1/transfers?account_id=${account}&kind=deposit`)).body.data[0];
    const withdrawal = await api.post(
      '/v1/transfers',
      { kind: 'withdrawal', source_account_id: account, amount: 10, currency: 'USD' },
      idem(),
    );
    await settled(api, withdrawal.body.id);
    const tooMuch = await api.post(
      '/v1/transfers',
      { source_account_id: other, destination_account_id: account, amount: 10, currency: 'USD' },
      idem(),
    );
    expect((await settled(api, tooMuch.body.id)).status).toBe('rejected');
    for (const id of [deposit.id, withdrawal.body.id, tooMuch.body.id]) {
      const res = await refund(api, id, {});
      expect([res.status, res.body.error.code]).toEqual([409, 'transfer_not_refundable']);
    }
    const payment = await pay(api, account, other, 50);
    expect((await api.post(`/v1/transfers/${payment.id}/refunds`, {}, {})).body.error.code).toBe(
      'idempotency_key_missing',
    );
    expect((await refund(api, payment.id, { amount: 0 })).body.error.code).toBe('validation_failed');
    expect((await refund(api, payment.id, { amount: 10, currency: 'USD' })).body.error.code).toBe(
      'validation_failed',
    );
    const over = await refund(api, payment.id, { amount: 51 });
    expect([over.status, over.body.error.details[0].code]).toEqual([400, 'refund_exceeds_original']);
    // The same tenant on both sides owns the destination: it may refund.
    expect((await settled(api, (await refund(api, payment.id, { amount: 50 })).body.id)).status).toBe(
      'committed',
    );
  });

  it('refuses a refund of a transfer not committed yet: 409 to a tenant paying itself, 404 to a payee that cannot see it yet', async () => {
    const payer = await newTenant(system.url, 'Payer');
    const merchant = await newTenant(system.url, 'Merchant');
    const card = await fundedAccount(payer.api, 'USD', 100);
    const till = await fundedAccount(merchant.api, 'USD', 0);
    const own = await fundedAccount(payer.api, 'USD', 0);
    // What the API writes on accepting a payment, before the processor decides it (never published here).
    const pending = (to: string) => {
      const id = newId();
      const idempotencyKey = randomUUID();
      const fields = {
        kind: 'transfer' as const,
        sourceAccountId: card,
        destinationAccountId: to,
        amount: 60n,
        currency: 'USD',
        description: null,
        metadata: null,
      };
      const row = {
        ...fields,
        id,
        tenantId: payer.id,
        idempotencyKey,
        requestHash: requestFingerprint(fields),
        expiresAt: null,
        holdId: null,
        command: {
          transfer_id: id,
          tenant_id: payer.id,
          idempotency_key: idempotencyKey,
          kind: 'transfer' as const,
          source_account_id: card,
          destination_account_id: to,
          amount: '60',
          currency: 'USD',
        },
      };
      return { id, row };
    };
    const toItself = pending(own);
    const toMerchant = pending(till);
    await insertPendingTransfers(system.pool, [toItself.row, toMerchant.row]);
    const early = await refund(payer.api, toItself.id, {});
    expect([early.status, early.body.error.code]).toEqual([409, 'transfer_not_refundable']);
    expect(early.body.error.message).toMatch(/not committed yet/);
    // A payment to another tenant is not the payee's to see until it commits.
    const unseen = await refund(merchant.api, toMerchant.id, {});
    expect(unseen.status).toBe(404);
  });

  it('rejects a refund insufficient_funds when the payee has spent the money, and a frozen payer account with the neutral reason', async () => {
    const { payer, merchant, card, till, payment } = await merchantPaid(400);
    const elsewhere = await fundedAccount(merchant.api, 'USD', 0);
    await pay(merchant.api, till, elsewhere, 350);
    const short = await refund(merchant.api, payment.id, { amount: 100 });
    expect(short.status).toBe(202);
    expect(await settled(merchant.api, short.body.id)).toMatchObject({
      status: 'rejected',
      reason: { code: 'insufficient_funds' },
      entries: [],
    });
    const fits = await refund(merchant.api, payment.id, { amount: 50 });
    expect((await settled(merchant.api, fits.body.id)).status).toBe('committed');
    expect((await payer.api.patch(`/v1/accounts/${card}`, { status: 'frozen' })).status).toBe(200);
    const frozen = await refund(merchant.api, payment.id, { amount: 10 });
    expect((await settled(merchant.api, frozen.body.id)).reason.code).toBe('account_not_found');
    const original = (await merchant.api.get(`/v1/transfers/${payment.id}`)).body;
    expect(original).toMatchObject({ refunded_amount: '50', refunded_destination_amount: '50' });
    expect(await balanceOf(merchant.api, till)).toBe('0');
    expect(await ledgerViolations(system.pool, [card, till, elsewhere])).toEqual([]);
  });

  it('draws a refund on the refunder`s available funds: money its open holds reserve is not its to give', async () => {
    const { merchant, till, payment } = await merchantPaid(400);
    const elsewhere = await fundedAccount(merchant.api, 'USD', 0);
    const hold = await merchant.api.post(
      '/v1/transfers',
      {
        source_account_id: till,
        destination_account_id: elsewhere,
        amount: 350,
        currency: 'USD',
        capture: 'manual',
      },
      idem(),
    );
    expect((await settled(merchant.api, hold.body.id)).status).toBe('held');
    const refused = await refund(merchant.api, payment.id, { amount: 100 });
    expect((await settled(merchant.api, refused.body.id)).reason.code).toBe('insufficient_funds');
    const fits = await refund(merchant.api, payment.id, { amount: 50 });
    expect((await settled(merchant.api, fits.body.id)).status).toBe('committed');
    expect((await merchant.api.get(`/v1/accounts/${till}`)).body).toMatchObject({
      balance: '350',
      held: '350',
      available: '0',
    });
  });

  it('refunds the capture of a held transfer like a transfer; the hold itself is not refundable', async () => {
    const payer = await newTenant(system.url, 'Payer');
    const merchant = await newTenant(system.url, 'Merchant');
    const card = await fundedAccount(payer.api, 'USD', 1_000);
    const till = await fundedAccount(merchant.api, 'USD', 0);
    const hold = await payer.api.post(
      '/v1/transfers',
      {
        source_account_id: card,
        destination_account_id: till,
        amount: 500,
        currency: 'USD',
        capture: 'manual',
      },
      idem(),
    );
    expect((await settled(payer.api, hold.body.id)).status).toBe('held');
    const capture = await payer.api.post(`/v1/transfers/${hold.body.id}/capture`, { amount: 400 }, idem());
    expect((await settled(payer.api, capture.body.id)).status).toBe('committed');

    const onHold = await refund(merchant.api, hold.body.id, {});
    expect([onHold.status, onHold.body.error.code]).toEqual([409, 'transfer_not_refundable']);
    const back = await refund(merchant.api, capture.body.id, {});
    expect(await settled(merchant.api, back.body.id)).toMatchObject({
      status: 'committed',
      refund_of: capture.body.id,
      amount: '400',
    });
    expect((await payer.api.get(`/v1/accounts/${card}`)).body).toMatchObject({ balance: '1000', held: '0' });
    expect(await refundViolations(system.pool, [capture.body.id])).toEqual([]);
  });

  it('refunds a cross-currency transfer at its recorded rate: partial refunds prorated, a full refund returns exactly the source amount', async () => {
    const admin = client(system.url, ADMIN_TOKEN);
    expect((await admin.put('/v1/admin/fx-rates/CHF/JPY', { rate: '163.4567' })).status).toBe(200);
    const payer = await newTenant(system.url, 'Swiss payer');
    const merchant = await newTenant(system.url, 'Tokyo merchant');
    const chf = await fundedAccount(payer.api, 'CHF', 100_000);
    const jpy = await fundedAccount(merchant.api, 'JPY', 0);
    // 1,000.00 CHF = 163,456.7 JPY: 163457 by banker's rounding.
    const payment = await pay(payer.api, chf, jpy, 100_000, 'CHF');
    expect(payment).toMatchObject({ destination_amount: '163457', rate: '163.4567' });
    // A rate change after the payment changes nothing for its refunds.
    expect((await admin.put('/v1/admin/fx-rates/CHF/JPY', { rate: '150' })).status).toBe(200);

    // 1 yen is worth 0.61 centimes: 1 centime. Then 10,000 yen: cumulatively round(10001 × 100000 / 163457) = 6118.
    const one = await settled(merchant.api, (await refund(merchant.api, payment.id, { amount: 1 })).body.id);
    expect(one).toMatchObject({
      status: 'committed',
      currency: 'JPY',
      amount: '1',
      destination_currency: 'CHF',
      destination_amount: '1',
    });
    const tenK = await settled(
      merchant.api,
      (await refund(merchant.api, payment.id, { amount: 10_000 })).body.id,
    );
    expect(tenK).toMatchObject({ status: 'committed', destination_amount: '6117' });
    expect((await payer.api.get(`/v1/transfers/${payment.id}`)).body).toMatchObject({
      refunded_amount: '6118',
      refunded_destination_amount: '10001',
    });
    const rest = await settled(merchant.api, (await refund(merchant.api, payment.id)).body.id);
    expect(rest).toMatchObject({ status: 'committed', amount: '153456', destination_amount: '93882' });
    expect((await payer.api.get(`/v1/transfers/${payment.id}`)).body).toMatchObject({
      refunded_amount: '100000',
      refunded_destination_amount: '163457',
    });
    expect(await balanceOf(payer.api, chf)).toBe('100000');
    expect(await balanceOf(merchant.api, jpy)).toBe('0');
    expect(await ledgerViolations(system.pool, [chf, jpy])).toEqual([]);

    // A second payment refunded in full at once: exactly the source amount back.
    const again = await pay(payer.api, chf, jpy, 33_333, 'CHF'); // at 150: 49999.5 -> 50000 yen
    expect(again.destination_amount).toBe('50000');
    const full = await settled(merchant.api, (await refund(merchant.api, again.id)).body.id);
    expect(full).toMatchObject({ status: 'committed', amount: '50000', destination_amount: '33333' });
  });
});
