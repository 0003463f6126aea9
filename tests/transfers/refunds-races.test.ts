import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { KafkaMessage, Producer } from 'kafkajs';
import { DEAD_LETTER_HEADERS, LedgerEventV1 } from '../../contracts/src';
import { ledgerViolations } from '../../domain/ledger-invariants';
import { refundViolations } from '../../domain/refund-invariants';
import { divRoundHalfEven } from '../../domain/money';
import type { Kafka } from '../../platform/kafka';
import { client, fundedAccount, idem, newTenant, settled, type Client } from '../support/client';
import { eventually } from '../support/eventually';
import { collect, commandEnvelope } from '../support/kafka-messages';
import { ADMIN_TOKEN, startSystem, type System } from '../support/system';

const pay = async (api: Client, from: string, to: string, amount: number, currency = 'USD') => {
  const accepted = await api.post(
    '/v1/transfers',
    { source_account_id: from, destination_account_id: to, amount, currency },
    idem(),
  );
  const done = await settled(api, accepted.body.id);
  expect(done.status).toBe('committed');
  return done as { id: string; destination_amount: string };
};

describe('refunds racing each other, redelivered, and told to subscribers', () => {
  let system: System;
  let kafka: Kafka;
  let producer: Producer;
  beforeAll(async () => {
    system = await startSystem();
    kafka = system.kafka;
    producer = await system.directProducer();
  });
  afterAll(async () => {
    await system.stop();
  });

  const refundsOf = async (id: string) =>
    (
      await system.pool.query<{ id: string; status: string; reason: string | null; amount: string }>(
        `SELECT id, status, reason, coalesce(amount, amount_as_sent)::text AS amount FROM transfers
          WHERE refund_of = $1 ORDER BY created_at`,
        [id],
      )
    ).rows;

  /** Submits refunds all at once; waits for every accepted one; returns the 202s' outcomes and the 400s. */
  async function race(api: Client, id: string, bodies: Array<object | undefined>) {
    const replies = await Promise.all(
      bodies.map((body) => api.post(`/v1/transfers/${id}/refunds`, body, idem())),
    );
    for (const r of replies) {
      // Refused at once only when the original was already used up as the API saw it.
      if (r.status !== 202)
        expect([r.status, r.body.error.details[0].code]).toEqual([400, 'refund_exceeds_original']);
    }
    const outcomes = await Promise.all(
      replies.filter((r) => r.status === 202).map((r) => settled(api, r.body.id)),
    );
    for (const o of outcomes)
      if (o.status !== 'committed') expect(o.reason.code).toBe('refund_exceeds_original');
    return outcomes.filter((o) => o.status === 'committed') as Array<{
      amount: string;
      destination_amount: string;
    }>;
  }

  it('never refunds more than the original when refunds of it race: the excess is rejected refund_exceeds_original', async () => {
    const payer = await newTenant(system.url, 'Payer');
    const merchant = await newTenant(system.url, 'Merchant');
    const card = await fundedAccount(payer.api, 'USD', 1_000);
    const till = await fundedAccount(merchant.api, 'USD', 500);
    const payment = await pay(payer.api, card, till, 100);

    const committed = await race(
      merchant.api,
      payment.id,
      Array.from({ length: 30 }, () => ({ amount: 7 })),
    );
    expect(committed).toHaveLength(14); // 14 × 7 = 98; a 15th would be 105
    expect((await merchant.api.get(`/v1/transfers/${payment.id}`)).body).toMatchObject({
      refunded_amount: '98',
      refunded_destination_amount: '98',
    });
    // "All that remains", raced: one gets the 2 left, the others nothing.
    const rest = await race(
      merchant.api,
      payment.id,
      Array.from({ length: 8 }, () => undefined),
    );
    expect(rest.map((o) => o.amount)).toEqual(['2']);
    expect((await payer.api.get(`/v1/accounts/${card}`)).body.balance).toBe('1000');
    expect((await merchant.api.get(`/v1/accounts/${till}`)).body.balance).toBe('500');
    expect(await ledgerViolations(system.pool, [card, till])).toEqual([]);
    expect(await refundViolations(system.pool, [payment.id])).toEqual([]);
  });

  it('keeps both sides of a cross-currency transfer within the original for any racing sequence of partial refunds (property)', async () => {
    const admin = client(system.url, ADMIN_TOKEN);
    expect((await admin.put('/v1/admin/fx-rates/GBP/KWD', { rate: '0.3847' })).status).toBe(200);
    const payer = await newTenant(system.url, 'London');
    const merchant = await newTenant(system.url, 'Kuwait');
    const gbp = await fundedAccount(payer.api, 'GBP', 10_000_000);
    const kwd = await fundedAccount(merchant.api, 'KWD', 0);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200_000 }),
        fc.array(fc.option(fc.integer({ min: 1, max: 400_000 }), { nil: undefined }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (amount, sizes) => {
          const payment = await pay(payer.api, gbp, kwd, amount, 'GBP');
          const D = BigInt(payment.destination_amount);
          const committed = await race(
            merchant.api,
            payment.id,
            sizes.map((s) => (s === undefined ? undefined : { amount: s })),
          );
          const given = committed.reduce((a, o) => a + BigInt(o.destination_amount), 0n);
          const taken = committed.reduce((a, o) => a + BigInt(o.amount), 0n);
          const original = (await payer.api.get(`/v1/transfers/${payment.id}`)).body;
          expect([original.refunded_amount, original.refunded_destination_amount]).toEqual([
            given.toString(),
            taken.toString(),
          ]);
          expect(taken <= D && given <= BigInt(amount)).toBe(true);
          // Whatever the order the refunds landed in, the source got back exactly its prorated share.
          expect(given).toBe(divRoundHalfEven(taken * BigInt(amount), D));
          if (taken === D) expect(given).toBe(BigInt(amount));
          expect(await refundViolations(system.pool, [payment.id])).toEqual([]);
        },
      ),
      { numRuns: 6 },
    );
    expect(await ledgerViolations(system.pool, [gbp, kwd])).toEqual([]);
  });

  it('refunds once when the same refund command is delivered again straight from Kafka', async () => {
    const payer = await newTenant(system.url, 'Payer');
    const merchant = await newTenant(system.url, 'Merchant');
    const card = await fundedAccount(payer.api, 'USD', 1_000);
    const till = await fundedAccount(merchant.api, 'USD', 0);
    const payment = await pay(payer.api, card, till, 300);
    const command = {
      tenant_id: merchant.id,
      idempotency_key: `refund-${randomUUID()}`,
      refund_of: payment.id,
      amount: '120',
    };
    const whole = {
      tenant_id: merchant.id,
      idempotency_key: `refund-${randomUUID()}`,
      refund_of: payment.id,
    };
    const messages = [command, command, whole, command, whole].map((p) => ({
      key: till,
      value: commandEnvelope('transfer.refund', p),
    }));
    await producer.send({ topic: system.topics.commands, messages: messages.slice(0, 3) });
    await eventually(async () => {
      const rows = await refundsOf(payment.id);
      return rows.length === 2 && rows.every((r) => r.status !== 'pending');
    }, 20_000);
    await producer.send({ topic: system.topics.commands, messages: messages.slice(3) });
    // A marker after the redeliveries on the same partition: once it is decided, so are they (it
    // is rejected for funds: the till gave everything back).
    const marker = await merchant.api.post(
      '/v1/transfers',
      { source_account_id: till, destination_account_id: card, amount: 1, currency: 'USD' },
      idem(),
    );
    await settled(merchant.api, marker.body.id);
    // Decided in one batch, the two share created_at: compared by amount, not by row order.
    const decided = (await refundsOf(payment.id)).map((r) => [r.status, r.amount]);
    expect(decided.sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      ['committed', '120'],
      ['committed', '180'],
    ]);
    expect((await merchant.api.get(`/v1/transfers/${payment.id}`)).body.refunded_amount).toBe('300');
    expect(await refundViolations(system.pool, [payment.id])).toEqual([]);
    expect((await payer.api.get(`/v1/accounts/${card}`)).body.balance).toBe('1000');
    expect((await merchant.api.get(`/v1/accounts/${till}`)).body.balance).toBe('0');
    expect(await ledgerViolations(system.pool, [card, till])).toEqual([]);
  });

  it('caps refunds the API never saw together: two direct Kafka refunds of 60 of a 100 transfer, one rejected', async () => {
    const payer = await newTenant(system.url, 'Payer');
    const merchant = await newTenant(system.url, 'Merchant');
    const card = await fundedAccount(payer.api, 'USD', 1_000);
    const till = await fundedAccount(merchant.api, 'USD', 0);
    const payment = await pay(payer.api, card, till, 100);
    const command = () => ({
      tenant_id: merchant.id,
      idempotency_key: `refund-${randomUUID()}`,
      refund_of: payment.id,
      amount: '60',
    });
    await producer.send({
      topic: system.topics.commands,
      messages: [command(), command()].map((p) => ({
        key: till,
        value: commandEnvelope('transfer.refund', p),
      })),
    });
    const rows = await eventually(async () => {
      const found = await refundsOf(payment.id);
      return found.length === 2 && found.every((r) => r.status !== 'pending') ? found : undefined;
    }, 20_000);
    // Decided in one transaction, both rows carry the same created_at: compare them unordered.
    expect(rows.map((r) => [r.status, r.reason]).sort()).toEqual([
      ['committed', null],
      ['rejected', 'refund_exceeds_original'],
    ]);
    expect(await refundViolations(system.pool, [payment.id])).toEqual([]);
    // The audit has teeth: totals that disagree with the refunds are reported.
    await system.pool.query('UPDATE transfers SET refunded_amount = 59 WHERE id = $1', [payment.id]);
    expect(await refundViolations(system.pool, [payment.id])).toHaveLength(1);
    await system.pool.query('UPDATE transfers SET refunded_amount = 60 WHERE id = $1', [payment.id]);
    // And the database holds the cap too, whatever a processor would write.
    await expect(
      system.pool.query(
        'UPDATE transfers SET refunded_amount = 101, refunded_destination_amount = 101 WHERE id = $1',
        [payment.id],
      ),
    ).rejects.toThrow(/transfers_refund_fields/);
  });

  it('rejects a Kafka refund of an amount beyond BIGINT refund_exceeds_original (recorded as sent), not a processing failure', async () => {
    const payer = await newTenant(system.url, 'Payer');
    const merchant = await newTenant(system.url, 'Merchant');
    const card = await fundedAccount(payer.api, 'USD', 1_000);
    const till = await fundedAccount(merchant.api, 'USD', 0);
    const payment = await pay(payer.api, card, till, 100);
    const huge = {
      tenant_id: merchant.id,
      idempotency_key: `huge-${randomUUID()}`,
      refund_of: payment.id,
      amount: '9999999999999999999',
    };
    await producer.send({
      topic: system.topics.commands,
      messages: [{ key: till, value: commandEnvelope('transfer.refund', huge) }],
    });
    const rows = await eventually(async () => {
      const found = await refundsOf(payment.id);
      return found.length === 1 && found[0]!.status !== 'pending' ? found : undefined;
    }, 20_000);
    expect(rows[0]).toMatchObject({ status: 'rejected', reason: 'refund_exceeds_original' });
    expect((await merchant.api.get(`/v1/transfers/${rows[0]!.id}`)).body).toMatchObject({
      amount: '9999999999999999999',
      refund_of: payment.id,
    });
  });

  it('dead-letters a Kafka refund by the payer as refund_of_not_found, and tells the payer of refunds with transfer.refunded', async () => {
    const events = await collect(kafka, system.topics.events);
    const dead = await collect(kafka, system.topics.deadLetter);
    try {
      const payer = await newTenant(system.url, 'Payer');
      const merchant = await newTenant(system.url, 'Merchant');
      const card = await fundedAccount(payer.api, 'USD', 1_000);
      const till = await fundedAccount(merchant.api, 'USD', 0);
      const payment = await pay(payer.api, card, till, 250);
      const key = `own-${randomUUID()}`;
      await producer.send({
        topic: system.topics.commands,
        messages: [
          {
            key: till,
            value: commandEnvelope('transfer.refund', {
              tenant_id: payer.id,
              idempotency_key: key,
              refund_of: payment.id,
            }),
          },
        ],
      });
      const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();
      const deadOne = (await dead.until((all) => all.some((m) => m.value?.toString().includes(key)))).find(
        (m) => m.value?.toString().includes(key),
      )!;
      expect(header(deadOne, DEAD_LETTER_HEADERS.reason)).toBe('refund_of_not_found');
      expect(await refundsOf(payment.id)).toEqual([]);

      const refunded = await merchant.api.post(`/v1/transfers/${payment.id}/refunds`, { amount: 50 }, idem());
      await settled(merchant.api, refunded.body.id);
      const parsed = () => events.messages.map((m) => LedgerEventV1.parse(JSON.parse(m.value!.toString())));
      // Events are keyed by account, so they reach the topic's partitions in no order we can
      // rely on: wait for every one the assertions need.
      const all = await eventually(() => {
        const now = parsed();
        const told = now.filter((e) => e.type === 'transfer.refunded' && e.payload.id === payment.id);
        const ofRefund = now.filter(
          (e) =>
            (e.type === 'transfer.committed' && e.payload.id === refunded.body.id) ||
            (e.type === 'account.credited' && e.payload.transfer_id === refunded.body.id),
        );
        return told.length === 2 && ofRefund.length >= 2 ? now : undefined;
      }, 20_000);
      const told = all.filter((e) => e.type === 'transfer.refunded' && e.payload.id === payment.id);
      expect(told.map((e) => e.tenant_id).sort()).toEqual([payer.id, merchant.id].sort());
      for (const e of told) expect(e.payload).toMatchObject({ refunded_amount: '50', status: 'committed' });
      const committed = all.find((e) => e.type === 'transfer.committed' && e.payload.id === refunded.body.id);
      expect(committed).toMatchObject({
        tenant_id: merchant.id,
        payload: { kind: 'refund', refund_of: payment.id },
      });
      const credited = all.find(
        (e) => e.type === 'account.credited' && e.payload.transfer_id === refunded.body.id,
      );
      expect(credited).toMatchObject({ tenant_id: payer.id, payload: { account_id: card, amount: '50' } });
    } finally {
      await events.stop();
      await dead.stop();
    }
  });
});
