import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { LedgerEventV1 } from '../../contracts/src';
import { createDispatcher } from '../../webhook-dispatcher/src/create-dispatcher';
import { ledgerViolations } from '../../domain/ledger-invariants';
import { createKafka } from '../../platform/kafka';
import { createLogger } from '../../platform/logger';
import { client, fundedAccount, idem, newTenant, settled, type Client } from '../support/client';
import { collect } from '../support/kafka-messages';
import { eventually } from '../support/eventually';
import { LOCAL_WEBHOOKS_ENV } from '../support/service-env';
import { ADMIN_TOKEN, startSystem, type System } from '../support/system';
import { dispatcherConfig, logger as webhookLogger } from '../webhooks/harness';
import { startReceiver } from '../webhooks/test-receiver';

/** A hold of `amount` from one account to another (or a withdrawal when `to` is null). */
const hold = (api: Client, from: string, to: string | null, amount: number | string, extra: object = {}) =>
  api.post(
    '/v1/transfers',
    to
      ? {
          source_account_id: from,
          destination_account_id: to,
          amount,
          currency: 'USD',
          capture: 'manual',
          ...extra,
        }
      : { kind: 'withdrawal', source_account_id: from, amount, currency: 'USD', capture: 'manual', ...extra },
    idem(),
  );

const balances = async (api: Client, id: string) => {
  const a = (await api.get(`/v1/accounts/${id}`)).body;
  return { balance: a.balance, held: a.held, available: a.available };
};

/** A transfer once it satisfies the predicate (a hold's end comes without a client). */
const until = (api: Client, id: string, predicate: (t: { status: string }) => boolean, timeout_ms = 20_000) =>
  eventually(
    async () => {
      const t = (await api.get(`/v1/transfers/${id}`)).body;
      return predicate(t) ? t : undefined;
    },
    timeout_ms,
    50,
    `transfer ${id} to change`,
  );

describe('two-phase transfers: hold, then capture, void or expiry', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem({
      HOLD_EXPIRY_INTERVAL_MS: '100',
      HOLD_EXPIRY_AGAIN_AFTER_MS: '500',
      ...LOCAL_WEBHOOKS_ENV,
    });
  });
  afterAll(async () => {
    await system.stop();
  });

  it('reserves a hold on available without posting, then a partial capture posts it and releases the rest', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 1_000);
    const to = await fundedAccount(api, 'USD', 0);

    const accepted = await hold(api, from, to, 600);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ status: 'pending', capture: 'manual', hold_id: null });
    const held = await settled(api, accepted.body.id);
    expect(held).toMatchObject({
      status: 'held',
      entries: [],
      hold: { held_amount: '600', captured_amount: null },
    });
    expect(await balances(api, from)).toEqual({ balance: '1000', held: '600', available: '400' });
    expect(await balances(api, to)).toEqual({ balance: '0', held: '0', available: '0' });

    // Funds are checked on available: 401 no longer fits, as a transfer or as another hold.
    const over = await api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 401, currency: 'USD' },
      idem(),
    );
    expect((await settled(api, over.body.id)).reason.code).toBe('insufficient_funds');
    expect((await settled(api, (await hold(api, from, to, 401)).body.id)).reason.code).toBe(
      'insufficient_funds',
    );

    const capture = await api.post(`/v1/transfers/${held.id}/capture`, { amount: 250 }, idem());
    expect(capture.status).toBe(202);
    expect(capture.headers.get('location')).toBe(`/v1/transfers/${capture.body.id}`);
    const captured = await settled(api, capture.body.id);
    expect(captured).toMatchObject({ kind: 'capture', status: 'committed', hold_id: held.id, amount: '250' });
    expect(captured.entries).toEqual([
      { account_id: from, direction: 'debit', amount: '250', currency: 'USD' },
      { account_id: to, direction: 'credit', amount: '250', currency: 'USD' },
    ]);
    expect((await api.get(`/v1/transfers/${held.id}`)).body).toMatchObject({
      status: 'captured',
      hold: {
        held_amount: '600',
        captured_amount: '250',
        released_amount: '350',
        resolved_by: capture.body.id,
      },
    });
    expect(await balances(api, from)).toEqual({ balance: '750', held: '0', available: '750' });
    expect(await balances(api, to)).toEqual({ balance: '250', held: '0', available: '250' });
    // Lists filter by the new states.
    const list = await api.get(`/v1/transfers?account_id=${from}&status=captured`);
    expect(list.body.data.map((t: { id: string }) => t.id)).toEqual([held.id]);
    expect(await ledgerViolations(system.pool, [from, to])).toEqual([]);
  });

  it('answers what an account held at an instant, beside its posted balance then', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 500);
    const held = await settled(api, (await hold(api, from, null, 200)).body.id);
    const captured = await settled(
      api,
      (await api.post(`/v1/transfers/${held.id}/capture`, { amount: 50 }, idem())).body.id,
    );
    const whileHeld = (
      await api.get(`/v1/accounts/${from}/balance?at=${encodeURIComponent(held.finalized_at)}`)
    ).body;
    expect(whileHeld).toMatchObject({ balance: '500', held: '200', available: '300' });
    const after = (
      await api.get(`/v1/accounts/${from}/balance?at=${encodeURIComponent(captured.finalized_at)}`)
    ).body;
    expect(after).toMatchObject({ balance: '450', held: '0', available: '450' });
    expect((await api.get(`/v1/accounts/${from}/balance`)).body).toMatchObject({ balance: '450', held: '0' });
  });

  it('voids a hold, releasing all of it; a capture after the void is rejected hold_not_open', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 500);
    const held = await settled(api, (await hold(api, from, null, 500)).body.id);
    expect(await balances(api, from)).toEqual({ balance: '500', held: '500', available: '0' });

    const voided = await settled(
      api,
      (await api.post(`/v1/transfers/${held.id}/void`, undefined, idem())).body.id,
    );
    expect(voided).toMatchObject({ kind: 'void', status: 'committed', amount: '500', entries: [] });
    const late = await settled(api, (await api.post(`/v1/transfers/${held.id}/capture`, {}, idem())).body.id);
    expect(late).toMatchObject({ kind: 'capture', status: 'rejected', reason: { code: 'hold_not_open' } });
    expect((await api.get(`/v1/transfers/${held.id}`)).body).toMatchObject({
      status: 'voided',
      hold: { captured_amount: '0', released_amount: '500', resolved_by: voided.id },
    });
    expect(await balances(api, from)).toEqual({ balance: '500', held: '0', available: '500' });
    expect(await ledgerViolations(system.pool, [from])).toEqual([]);
  });

  it('captures a withdrawal hold (an ATM authorisation) in full into the world account', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 300);
    const held = await settled(api, (await hold(api, from, null, 200)).body.id);
    const captured = await settled(
      api,
      (await api.post(`/v1/transfers/${held.id}/capture`, undefined, idem())).body.id,
    );
    expect(captured).toMatchObject({ status: 'committed', amount: '200', destination_account_id: null });
    expect(await balances(api, from)).toEqual({ balance: '100', held: '0', available: '100' });
    expect(await ledgerViolations(system.pool, [from])).toEqual([]);
  });

  it('converts a partial cross-currency capture at the rate in force at capture, not at the hold, rounding half-even, and releases the rest', async () => {
    const admin = client(system.url, ADMIN_TOKEN);
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'CNY', 10_000);
    const to = await fundedAccount(api, 'INR', 0);
    expect((await admin.put('/v1/admin/fx-rates/CNY/INR', { rate: '10' })).status).toBe(200);
    const body = {
      source_account_id: from,
      destination_account_id: to,
      amount: 1_000,
      currency: 'CNY',
      capture: 'manual',
    };
    const held = await settled(api, (await api.post('/v1/transfers', body, idem())).body.id);
    expect(held).toMatchObject({ status: 'held', destination_currency: 'INR', destination_amount: null });
    expect((await admin.put('/v1/admin/fx-rates/CNY/INR', { rate: '12.5' })).status).toBe(200);
    // 333 CNY at 12.5 is 4,162.5 INR (both in hundredths): a tie, rounded to the even 4,162.
    const captured = await settled(
      api,
      (await api.post(`/v1/transfers/${held.id}/capture`, { amount: 333 }, idem())).body.id,
    );
    expect(captured).toMatchObject({
      status: 'committed',
      amount: '333',
      currency: 'CNY',
      destination_amount: '4162',
      destination_currency: 'INR',
      rate: '12.5',
    });
    expect((await api.get(`/v1/transfers/${held.id}`)).body).toMatchObject({
      status: 'captured',
      hold: { held_amount: '1000', captured_amount: '333', released_amount: '667', resolved_by: captured.id },
    });
    expect(await balances(api, from)).toEqual({ balance: '9667', held: '0', available: '9667' });
    expect(await balances(api, to)).toEqual({ balance: '4162', held: '0', available: '4162' });
    expect(await ledgerViolations(system.pool, [from, to])).toEqual([]);
  });

  it('replays a capture under its Idempotency-Key, and answers 422 when the key comes with another request', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 100);
    const held = await settled(api, (await hold(api, from, null, 100)).body.id);
    const key = idem();
    const first = await api.post(`/v1/transfers/${held.id}/capture`, { amount: 40 }, key);
    const again = await api.post(`/v1/transfers/${held.id}/capture`, { amount: 40 }, key);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    const other = await api.post(`/v1/transfers/${held.id}/capture`, { amount: 41 }, key);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    const voidSameKey = await api.post(`/v1/transfers/${held.id}/void`, undefined, key);
    expect(voidSameKey.status).toBe(422);
    await settled(api, first.body.id);
    expect(await balances(api, from)).toEqual({ balance: '60', held: '0', available: '60' });
  });

  it('replays a hold under its key even once its expires_at has passed (a new one with it would be refused)', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 100);
    const expiresAt = new Date(Date.now() + 600).toISOString();
    const key = idem();
    const body = {
      kind: 'withdrawal',
      source_account_id: from,
      amount: 10,
      currency: 'USD',
      capture: 'manual',
      expires_at: expiresAt,
    };
    const first = await api.post('/v1/transfers', body, key);
    expect(first.status).toBe(202);
    await until(api, first.body.id, (t) => t.status === 'expired');
    const again = await api.post('/v1/transfers', body, key);
    expect([again.status, again.headers.get('idempotency-replayed'), again.body.id]).toEqual([
      202,
      'true',
      first.body.id,
    ]);
    expect((await api.post('/v1/transfers', { ...body, amount: 11 }, key)).status).toBe(422);
    expect((await api.post('/v1/transfers', body, idem())).status).toBe(400);
  });

  it('refuses at once what can never be a hold or a capture, naming the field', async () => {
    const { api } = await newTenant(system.url);
    const stranger = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 100);
    const to = await fundedAccount(api, 'USD', 0);
    const deposit = await api.post(
      '/v1/transfers',
      { kind: 'deposit', destination_account_id: to, amount: 1, currency: 'USD', capture: 'manual' },
      idem(),
    );
    expect(deposit.status).toBe(400);
    expect(deposit.body.error.details[0].field).toBe('capture');
    const tooLong = await hold(api, from, to, 1, {
      expires_at: new Date(Date.now() + 31 * 86_400_000).toISOString(),
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.details[0]).toMatchObject({ field: 'expires_at', code: 'out_of_range' });
    const past = await hold(api, from, to, 1, { expires_at: '2020-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    const notManual = await api.post(
      '/v1/transfers',
      {
        source_account_id: from,
        destination_account_id: to,
        amount: 1,
        currency: 'USD',
        expires_at: '2030-01-01T00:00:00Z',
      },
      idem(),
    );
    expect(notManual.status).toBe(400);

    const held = await settled(api, (await hold(api, from, to, 50)).body.id);
    const tooMuch = await api.post(`/v1/transfers/${held.id}/capture`, { amount: 51 }, idem());
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error.details[0]).toMatchObject({ field: 'amount', code: 'capture_exceeds_hold' });
    expect((await api.post(`/v1/transfers/${held.id}/capture`, { amount: 1 })).status).toBe(400);
    // Another tenant, a plain transfer, an unknown id: not a hold this tenant can act on.
    expect((await stranger.api.post(`/v1/transfers/${held.id}/void`, undefined, idem())).status).toBe(404);
    const plain = await api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 1, currency: 'USD' },
      idem(),
    );
    expect((await api.post(`/v1/transfers/${plain.body.id}/capture`, {}, idem())).status).toBe(404);
    expect((await api.post(`/v1/transfers/${randomUUID()}/void`, undefined, idem())).status).toBe(404);
  });

  it('expires a hold by itself at expires_at, once; a capture after it is rejected hold_not_open', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 100);
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const held = await settled(api, (await hold(api, from, null, 70, { expires_at: expiresAt })).body.id);
    expect(held.hold.expires_at).toBe(expiresAt);
    const expired = await until(api, held.id, (t) => t.status !== 'held');
    expect(expired).toMatchObject({
      status: 'expired',
      hold: { released_amount: '70', captured_amount: '0' },
    });
    expect(Date.parse(expired.hold.resolved_at)).toBeGreaterThanOrEqual(Date.parse(expiresAt));
    const late = await settled(api, (await api.post(`/v1/transfers/${held.id}/capture`, {}, idem())).body.id);
    expect(late.reason.code).toBe('hold_not_open');
    expect(await balances(api, from)).toEqual({ balance: '100', held: '0', available: '100' });
    // The expiry is a transfer of the tenant's, by which the hold was closed.
    expect((await api.get(`/v1/transfers/${expired.hold.resolved_by}`)).body).toMatchObject({
      kind: 'expire',
      status: 'committed',
      hold_id: held.id,
    });
    expect(await ledgerViolations(system.pool, [from])).toEqual([]);
  });

  it('tells subscribers transfer.held, transfer.captured / voided / expired and the account movements of the capture, and delivers them to a webhook endpoint', async () => {
    const kafka = createKafka({
      brokers: system.brokers,
      clientId: 'test-holds',
      logger: createLogger({ service: 'test', level: 'silent', pretty: false }),
    });
    const events = await collect(kafka, system.topics.events);
    const dispatcher = createDispatcher(dispatcherConfig(system.prefix), webhookLogger);
    const receiver = await startReceiver();
    try {
      await dispatcher.start();
      const { api } = await newTenant(system.url);
      // Webhook subscribers filter on the new event types like on any other.
      const hook = receiver.endpoint();
      const subscription = await api.post('/v1/webhook-endpoints', {
        url: hook.url,
        event_types: ['transfer.held', 'transfer.captured', 'transfer.voided', 'transfer.expired'],
      });
      expect(subscription.status).toBe(201);
      const from = await fundedAccount(api, 'USD', 300);
      const to = await fundedAccount(api, 'USD', 0);
      const held = await settled(api, (await hold(api, from, to, 80)).body.id);
      const toVoid = await settled(api, (await hold(api, from, to, 50)).body.id);
      const expiresAt = new Date(Date.now() + 1_500).toISOString();
      const toExpire = await settled(
        api,
        (await hold(api, from, null, 40, { expires_at: expiresAt })).body.id,
      );
      const capture = await settled(
        api,
        (await api.post(`/v1/transfers/${held.id}/capture`, { amount: 30 }, idem())).body.id,
      );
      const voided = await settled(
        api,
        (await api.post(`/v1/transfers/${toVoid.id}/void`, undefined, idem())).body.id,
      );
      const expired = await until(api, toExpire.id, (t) => t.status === 'expired');

      const holdIds = [held.id, toVoid.id, toExpire.id];
      const mine = (all: typeof events.messages) =>
        all
          .map((m) => LedgerEventV1.parse(JSON.parse(m.value!.toString())))
          .filter(
            (e) =>
              ('id' in e.payload && holdIds.includes(e.payload.id)) ||
              ('transfer_id' in e.payload && e.payload.transfer_id === capture.id),
          );
      const seen = mine(await events.until((all) => mine(all).length >= 8));
      expect(seen.map((e) => e.type).sort()).toEqual([
        'account.credited',
        'account.debited',
        'transfer.captured',
        'transfer.expired',
        'transfer.held',
        'transfer.held',
        'transfer.held',
        'transfer.voided',
      ]);
      const captured = seen.find((e) => e.type === 'transfer.captured')!;
      expect(captured.payload).toMatchObject({ status: 'captured', hold: { captured_amount: '30' } });
      const voidedEvent = seen.find((e) => e.type === 'transfer.voided')!;
      expect(voidedEvent.payload).toMatchObject({
        id: toVoid.id,
        kind: 'transfer',
        status: 'voided',
        source_account_id: from,
        destination_account_id: to,
        amount: '50',
        currency: 'USD',
        entries: [],
        hold: {
          held_amount: '50',
          captured_amount: '0',
          released_amount: '50',
          resolved_by: voided.id,
          resolved_at: expect.any(String),
        },
      });
      const expiredEvent = seen.find((e) => e.type === 'transfer.expired')!;
      expect(expiredEvent.payload).toMatchObject({
        id: toExpire.id,
        kind: 'withdrawal',
        status: 'expired',
        source_account_id: from,
        amount: '40',
        entries: [],
        hold: {
          expires_at: expiresAt,
          held_amount: '40',
          captured_amount: '0',
          released_amount: '40',
          resolved_by: expired.hold.resolved_by,
        },
      });
      expect(
        Date.parse((expiredEvent.payload as { hold: { resolved_at: string } }).hold.resolved_at),
      ).toBeGreaterThanOrEqual(Date.parse(expiresAt));

      // The dispatcher delivers the hold events (and only those subscribed to), signed.
      const delivered = (await receiver.waitFor(hook.path, 6, 20_000)).map(
        (r) =>
          new Webhook(subscription.body.secret).verify(r.body, r.headers as Record<string, string>) as {
            type: string;
            data: { id: string; status: string; hold: Record<string, string | null> };
          },
      );
      expect(delivered.map((e) => e.type).sort()).toEqual([
        'transfer.captured',
        'transfer.expired',
        'transfer.held',
        'transfer.held',
        'transfer.held',
        'transfer.voided',
      ]);
      expect(delivered.find((e) => e.type === 'transfer.expired')!.data).toMatchObject({
        id: toExpire.id,
        status: 'expired',
        hold: { released_amount: '40', resolved_by: expired.hold.resolved_by },
      });
      expect(delivered.find((e) => e.type === 'transfer.voided')!.data).toMatchObject({
        id: toVoid.id,
        status: 'voided',
        hold: { released_amount: '50', resolved_by: voided.id },
      });
    } finally {
      await dispatcher.stop();
      await receiver.close();
      await events.stop();
    }
  });
});
