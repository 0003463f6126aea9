import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Producer } from 'kafkajs';
import { currencyExponent, LedgerEventV1, type CurrencyCode } from '../../contracts/src';
import { createKafka } from '../../platform/kafka';
import { createLogger } from '../../platform/logger';
import { collect, commandEnvelope } from '../support/kafka-messages';
import { ledgerViolations } from '../../domain/ledger-invariants';
import { convertMinor, parseRate } from '../../domain/money';
import { client, fundedAccount, idem, newTenant, settled, type Client } from '../support/client';
import { eventually } from '../support/eventually';
import { ADMIN_TOKEN, startSystem, type System } from '../support/system';

interface LegOut {
  destination_account_id: string;
  amount: string;
  destination_amount: string | null;
  destination_currency: string | null;
  rate: string | null;
}
type Leg = { destination_account_id: string; amount: number | string };

const split = (api: Client, source: string, legs: Leg[], extra: object = {}, key = idem()) =>
  api.post('/v1/transfers', { source_account_id: source, legs, currency: 'USD', ...extra }, key);

const balanceOf = async (api: Client, id: string) =>
  (await api.get(`/v1/accounts/${id}`)).body.balance as string;

describe('split transfers: one source, up to 16 destination legs, all or nothing', () => {
  let system: System;
  let producer: Producer;
  let events: Awaited<ReturnType<typeof collect>>;
  beforeAll(async () => {
    system = await startSystem();
    producer = await system.directProducer();
    const admin = client(system.url, ADMIN_TOKEN);
    expect((await admin.put('/v1/admin/fx-rates/USD/EUR', { rate: '0.9137' })).status).toBe(200);
    expect((await admin.put('/v1/admin/fx-rates/USD/JPY', { rate: '151.237' })).status).toBe(200);
  });
  afterAll(async () => {
    await events?.stop();
    await system.stop();
  });

  /** Rows of the account's entries for a transfer: a transfer moves each account once. */
  const entriesOf = async (transferId: string) =>
    (
      await system.pool.query<{ account_id: string; amount: string; currency: string }>(
        'SELECT account_id, amount::text, currency FROM entries WHERE transfer_id = $1',
        [transferId],
      )
    ).rows;

  it('pays a seller in EUR, a fee and a tax in USD from one 100.00 USD debit, netting the postings per account', async () => {
    const kafka = createKafka({
      brokers: system.brokers,
      clientId: 'test-splits',
      logger: createLogger({ service: 'test', level: 'silent', pretty: false }),
    });
    events = await collect(kafka, system.topics.events);
    const platform = await newTenant(system.url, 'Marketplace');
    const seller = await newTenant(system.url, 'Seller');
    const buyer = await fundedAccount(platform.api, 'USD', 25_000);
    const sellerEur = await fundedAccount(seller.api, 'EUR', 0);
    const fee = await fundedAccount(platform.api, 'USD', 0);
    const tax = await fundedAccount(platform.api, 'USD', 0);

    const accepted = await split(platform.api, buyer, [
      { destination_account_id: sellerEur, amount: 9_500 },
      { destination_account_id: fee, amount: 470 },
      { destination_account_id: tax, amount: '30' },
    ]);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ status: 'pending', amount: '10000', destination_account_id: null });
    expect(accepted.body.legs).toHaveLength(3);
    const done = await settled(platform.api, accepted.body.id);
    // 95.00 USD at 0.9137 = 86.8015 EUR: 86.80 by banker's rounding.
    expect(done).toMatchObject({
      status: 'committed',
      kind: 'transfer',
      amount: '10000',
      currency: 'USD',
      failed_leg: null,
      legs: [
        {
          destination_account_id: sellerEur,
          amount: '9500',
          destination_amount: '8680',
          destination_currency: 'EUR',
          rate: '0.9137',
        },
        {
          destination_account_id: fee,
          amount: '470',
          destination_amount: '470',
          destination_currency: 'USD',
          rate: null,
        },
        {
          destination_account_id: tax,
          amount: '30',
          destination_amount: '30',
          destination_currency: 'USD',
          rate: null,
        },
      ],
    });
    expect(await balanceOf(platform.api, buyer)).toBe('15000');
    expect(await balanceOf(seller.api, sellerEur)).toBe('8680');
    expect(await balanceOf(platform.api, fee)).toBe('470');
    expect(await balanceOf(platform.api, tax)).toBe('30');
    // Six accounts, each once: the buyer, three payees, the payer tenant's FX house USD and EUR.
    const entries = await entriesOf(done.id);
    expect(entries).toHaveLength(6);
    expect(new Set(entries.map((e) => e.account_id)).size).toBe(6);
    const perCurrency = new Map<string, bigint>();
    for (const e of entries)
      perCurrency.set(e.currency, (perCurrency.get(e.currency) ?? 0n) + BigInt(e.amount));
    expect(Object.fromEntries(perCurrency)).toEqual({ USD: 0n, EUR: 0n });
    // The payer's list shows it; the seller learns of its credit from its own statement.
    const statement = await seller.api.get(`/v1/accounts/${sellerEur}/entries`);
    expect(statement.body.data[0]).toMatchObject({ transfer_id: done.id, amount: '8680' });
    expect(await ledgerViolations(system.pool, [buyer, sellerEur, fee, tax])).toEqual([]);

    // One transfer.committed with its legs, and a debit or credit per customer account.
    const seen = mine(await events.until((all) => mine(all).length >= 5));
    expect(seen.map((e) => `${e.type} ${e.tenant_id === seller.id ? 'seller' : 'platform'}`).sort()).toEqual([
      'account.credited platform',
      'account.credited platform',
      'account.credited seller',
      'account.debited platform',
      'transfer.committed platform',
    ]);
    const committed = seen.find((e) => e.type === 'transfer.committed')!;
    expect(committed.payload).toMatchObject({ id: done.id, legs: done.legs });
    function mine(all: typeof events.messages) {
      return all
        .map((m) => LedgerEventV1.parse(JSON.parse(m.value!.toString())))
        .filter(
          (e) =>
            ('id' in e.payload && e.payload.id === done.id) ||
            ('transfer_id' in e.payload && e.payload.transfer_id === done.id),
        );
    }
  });

  it('converts and rounds every leg on its own, and debits exactly their sum (property)', async () => {
    const { api } = await newTenant(system.url, 'Splitter');
    const payees = {
      USD: await Promise.all([1, 2, 3].map(() => fundedAccount(api, 'USD', 0))),
      EUR: await Promise.all([1, 2, 3].map(() => fundedAccount(api, 'EUR', 0))),
      JPY: await Promise.all([1, 2].map(() => fundedAccount(api, 'JPY', 0))),
    };
    const all = Object.entries(payees).flatMap(([currency, ids]) => ids.map((id) => ({ id, currency })));
    const source = await fundedAccount(api, 'USD', 100_000_000);
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(all, { minLength: 1, maxLength: all.length }),
        fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: all.length, maxLength: all.length }),
        async (chosen, amounts) => {
          const before = BigInt(await balanceOf(api, source));
          const legs = chosen.map((p, i) => ({ destination_account_id: p.id, amount: amounts[i]! }));
          const accepted = await split(api, source, legs);
          expect(accepted.status).toBe(202);
          const done = await settled(api, accepted.body.id);
          expect(done.status).toBe('committed');
          const sum = legs.reduce((s, l) => s + BigInt(l.amount), 0n);
          expect(done.amount).toBe(sum.toString());
          expect(BigInt(await balanceOf(api, source))).toBe(before - sum);
          (done.legs as LegOut[]).forEach((leg, i) => {
            const to = chosen[i]!.currency as CurrencyCode;
            expect(leg).toMatchObject({ destination_account_id: chosen[i]!.id, amount: String(amounts[i]) });
            const expected =
              to === 'USD'
                ? BigInt(amounts[i]!)
                : convertMinor(
                    BigInt(amounts[i]!),
                    currencyExponent('USD'),
                    currencyExponent(to),
                    parseRate(leg.rate!),
                  );
            expect(leg.destination_amount).toBe(expected.toString());
          });
          const perCurrency = new Map<string, bigint>();
          const entries = await entriesOf(done.id);
          expect(new Set(entries.map((e) => e.account_id)).size).toBe(entries.length);
          for (const e of entries)
            perCurrency.set(e.currency, (perCurrency.get(e.currency) ?? 0n) + BigInt(e.amount));
          for (const total of perCurrency.values()) expect(total).toBe(0n);
        },
      ),
      { numRuns: 8 },
    );
    expect(await ledgerViolations(system.pool, [source, ...all.map((p) => p.id)])).toEqual([]);
  });

  it('rejects the whole split, naming the failing leg: a frozen leg, a missing leg, funds short of the sum', async () => {
    const payer = await newTenant(system.url, 'Payer');
    const other = await newTenant(system.url, 'Other');
    const source = await fundedAccount(payer.api, 'USD', 1_000);
    const ok = await fundedAccount(payer.api, 'USD', 0);
    const frozen = await fundedAccount(payer.api, 'USD', 0);
    await payer.api.patch(`/v1/accounts/${frozen}`, { status: 'frozen' });
    const othersFrozen = await fundedAccount(other.api, 'USD', 0);
    await other.api.patch(`/v1/accounts/${othersFrozen}`, { status: 'frozen' });

    const outcome = async (legs: Leg[]) => settled(payer.api, (await split(payer.api, source, legs)).body.id);
    expect(
      await outcome([
        { destination_account_id: ok, amount: 10 },
        { destination_account_id: frozen, amount: 10 },
      ]),
    ).toMatchObject({ status: 'rejected', reason: { code: 'account_frozen' }, failed_leg: 1, entries: [] });
    // Another business's frozen account, and one that does not exist, look the same: not found.
    expect(
      await outcome([
        { destination_account_id: ok, amount: 10 },
        { destination_account_id: randomUUID(), amount: 10 },
        { destination_account_id: othersFrozen, amount: 10 },
      ]),
    ).toMatchObject({ status: 'rejected', reason: { code: 'account_not_found' }, failed_leg: 1 });
    expect(
      await outcome([
        { destination_account_id: ok, amount: 10 },
        { destination_account_id: othersFrozen, amount: 10 },
      ]),
    ).toMatchObject({ status: 'rejected', reason: { code: 'account_not_found' }, failed_leg: 1 });
    // Each leg fits; their sum does not: the reason is the whole transfer's.
    const second = await fundedAccount(payer.api, 'USD', 0);
    const short = await outcome([
      { destination_account_id: ok, amount: 600 },
      { destination_account_id: second, amount: 401 },
    ]);
    expect(short).toMatchObject({
      status: 'rejected',
      reason: { code: 'insufficient_funds' },
      failed_leg: null,
    });
    expect(short.legs).toHaveLength(2);
    expect(await balanceOf(payer.api, source)).toBe('1000');
    expect(await balanceOf(payer.api, ok)).toBe('0');
    expect(await ledgerViolations(system.pool, [source, ok])).toEqual([]);
  });

  it('refuses malformed splits with 400, and a source the tenant does not own with 404', async () => {
    const { api } = await newTenant(system.url, 'Strict');
    const stranger = await newTenant(system.url, 'Stranger');
    const source = await fundedAccount(api, 'USD', 1_000);
    const a = await fundedAccount(api, 'USD', 0);
    const b = await fundedAccount(stranger.api, 'USD', 0);
    const fields = async (body: object) => {
      const reply = await api.post(
        '/v1/transfers',
        { source_account_id: source, currency: 'USD', ...body },
        idem(),
      );
      expect(reply.status).toBe(400);
      return reply.body.error.details.map((d: { field: string }) => d.field);
    };
    const leg = (id: string, amount: number | string = 1) => ({ destination_account_id: id, amount });
    expect(await fields({ legs: [leg(a), leg(a)] })).toContain('legs.1.destination_account_id');
    expect(await fields({ legs: [leg(a), leg(source)] })).toContain('legs.1.destination_account_id');
    expect(await fields({ legs: [leg(a), leg(b)], amount: 3 })).toContain('amount');
    expect(await fields({ legs: [leg(a)], destination_account_id: b })).toContain('destination_account_id');
    expect(await fields({ legs: [leg(a, 0)] })).toContain('legs.0.amount');
    expect(await fields({ legs: Array.from({ length: 17 }, () => leg(randomUUID())) })).toContain('legs');
    expect(await fields({ legs: [leg(a)], kind: 'withdrawal' })).toContain('legs');
    expect(await fields({ legs: [leg(a, '9223372036854775807')] })).toContain('legs.0.amount');
    expect(await fields({ destination_account_id: a })).toContain('amount');

    // The stranger cannot debit this tenant's account; any active account may be paid.
    const theirs = await stranger.api.post(
      '/v1/transfers',
      { source_account_id: source, legs: [leg(b)], currency: 'USD' },
      idem(),
    );
    expect(theirs.status).toBe(404);
    const paid = await split(api, source, [leg(a, 5), leg(b, 7)], { amount: '12' });
    expect(await settled(api, paid.body.id)).toMatchObject({ status: 'committed', amount: '12' });
    expect(await balanceOf(stranger.api, b)).toBe('7');
    // The payee of one leg reads the split restricted to its leg (see splits-visibility.test.ts).
    expect((await stranger.api.get(`/v1/transfers/${paid.body.id}`)).body).toMatchObject({
      amount: '7',
      legs: [{ index: 1, destination_account_id: b }],
    });
    // A split is refunded leg by leg by each payee: the payer, paid by leg 0, refunds that one.
    const refund = await api.post(`/v1/transfers/${paid.body.id}/refunds`, undefined, idem());
    expect(refund.status).toBe(202);
    expect(refund.body).toMatchObject({ refund_leg: 0, source_account_id: a, amount: '5' });
  });

  it('holds a split, refuses a partial capture, and captures it whole', async () => {
    const { api } = await newTenant(system.url, 'Holder');
    const source = await fundedAccount(api, 'USD', 1_000);
    const eur = await fundedAccount(api, 'EUR', 0);
    const usd = await fundedAccount(api, 'USD', 0);
    const accepted = await split(
      api,
      source,
      [
        { destination_account_id: eur, amount: 500 },
        { destination_account_id: usd, amount: 100 },
      ],
      { capture: 'manual' },
    );
    const held = await settled(api, accepted.body.id);
    expect(held).toMatchObject({ status: 'held', hold: { held_amount: '600' }, entries: [] });
    expect((await api.get(`/v1/accounts/${source}`)).body).toMatchObject({ balance: '1000', held: '600' });

    const partial = await api.post(`/v1/transfers/${held.id}/capture`, { amount: 300 }, idem());
    expect(partial.status).toBe(400);
    expect(partial.body.error.details[0]).toMatchObject({
      field: 'amount',
      code: 'partial_capture_of_split',
    });

    const capture = await api.post(`/v1/transfers/${held.id}/capture`, {}, idem());
    expect(capture.status).toBe(202);
    const captured = await settled(api, capture.body.id);
    // 5.00 USD at 0.9137 = 4.5685 EUR: 4.57.
    expect(captured).toMatchObject({
      status: 'committed',
      kind: 'capture',
      amount: '600',
      legs: [
        { destination_account_id: eur, amount: '500', destination_amount: '457', rate: '0.9137' },
        { destination_account_id: usd, amount: '100', destination_amount: '100', rate: null },
      ],
    });
    expect((await api.get(`/v1/transfers/${held.id}`)).body).toMatchObject({
      status: 'captured',
      hold: { captured_amount: '600', released_amount: '0' },
    });
    expect((await api.get(`/v1/accounts/${source}`)).body).toMatchObject({ balance: '400', held: '0' });
    expect(await balanceOf(api, eur)).toBe('457');
    expect(await ledgerViolations(system.pool, [source, eur, usd])).toEqual([]);
  });

  it('refuses a partial capture of a split held from Kafka too, and applies a redelivered split once', async () => {
    const { id: tenantId, api } = await newTenant(system.url, 'Producer');
    const source = await fundedAccount(api, 'USD', 1_000);
    const a = await fundedAccount(api, 'USD', 0);
    const b = await fundedAccount(api, 'EUR', 0);
    const command = {
      tenant_id: tenantId,
      idempotency_key: `split-${randomUUID()}`,
      source_account_id: source,
      legs: [
        { destination_account_id: a, amount: '100' },
        { destination_account_id: b, amount: 200 },
      ],
      currency: 'USD',
    };
    const value = commandEnvelope('transfer.requested', command);
    await producer.send({
      topic: system.topics.commands,
      messages: [1, 2, 3].map(() => ({ key: source, value })),
    });
    // A marker after the redeliveries on the same partition: once it is decided, so are they.
    const marker = await api.post(
      '/v1/transfers',
      { source_account_id: source, destination_account_id: a, amount: 1, currency: 'USD' },
      idem(),
    );
    await settled(api, marker.body.id);
    await producer.send({ topic: system.topics.commands, messages: [{ key: source, value }] });
    const again = await api.post(
      '/v1/transfers',
      { source_account_id: source, destination_account_id: a, amount: 1, currency: 'USD' },
      idem(),
    );
    await settled(api, again.body.id);
    const { rows } = await system.pool.query<{ id: string; status: string }>(
      'SELECT id, status FROM transfers WHERE tenant_id = $1 AND idempotency_key = $2',
      [tenantId, command.idempotency_key],
    );
    expect(rows).toEqual([{ id: expect.any(String), status: 'committed' }]);
    expect(await balanceOf(api, source)).toBe('698');
    expect(await balanceOf(api, a)).toBe('102');
    const legs = await system.pool.query('SELECT position FROM transfer_legs WHERE transfer_id = $1', [
      rows[0]!.id,
    ]);
    expect(legs.rowCount).toBe(2);

    // A held split and a partial capture of it from a producer: rejected by the processor.
    const holdKey = `held-${randomUUID()}`;
    await producer.send({
      topic: system.topics.commands,
      messages: [
        {
          key: source,
          value: commandEnvelope('transfer.requested', {
            ...command,
            idempotency_key: holdKey,
            capture: 'manual',
          }),
        },
      ],
    });
    const holdId = await eventually(async () => {
      const found = await system.pool.query<{ id: string }>(
        "SELECT id FROM transfers WHERE tenant_id = $1 AND idempotency_key = $2 AND status = 'held'",
        [tenantId, holdKey],
      );
      return found.rows[0]?.id;
    });
    const captureKey = `cap-${randomUUID()}`;
    await producer.send({
      topic: system.topics.commands,
      messages: [
        {
          key: source,
          value: commandEnvelope('transfer.capture', {
            tenant_id: tenantId,
            idempotency_key: captureKey,
            hold_id: holdId,
            amount: '100',
          }),
        },
      ],
    });
    const capture = await eventually(async () => {
      const found = await system.pool.query<{ status: string; reason: string | null }>(
        "SELECT status, reason FROM transfers WHERE tenant_id = $1 AND idempotency_key = $2 AND status <> 'pending'",
        [tenantId, captureKey],
      );
      return found.rows[0];
    });
    expect(capture).toEqual({ status: 'rejected', reason: 'partial_capture_of_split' });
    expect((await api.get(`/v1/transfers/${holdId}`)).body.status).toBe('held');
    expect(await ledgerViolations(system.pool, [source, a, b])).toEqual([]);
  });
});
