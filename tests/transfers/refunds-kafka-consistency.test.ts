import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { DEAD_LETTER_HEADERS } from '../../contracts/src';
import { fundedAccount, idem, newTenant, settled, type Client } from '../support/client';
import { eventually } from '../support/eventually';
import { collect, commandEnvelope } from '../support/kafka-messages';
import { startSystem, type System } from '../support/system';

/**
 * Every refund that cannot be made, over REST and straight from Kafka: the same stable reason
 * wherever the refunding tenant may know it (REST 409 transfer_not_refundable is the rejection
 * not_refundable; a 400 detail code is the rejection of the same name), and the neutral
 * not-found (404, dead-lettered refund_of_not_found) where telling more would describe another
 * tenant's transfer.
 */
describe('refunds that cannot be made answer alike over REST and Kafka', () => {
  let system: System;
  let producer: Producer;
  let dead: Awaited<ReturnType<typeof collect>>;
  beforeAll(async () => {
    system = await startSystem();
    producer = await system.directProducer();
    dead = await collect(system.kafka, system.topics.deadLetter);
  });
  afterAll(async () => {
    await dead?.stop();
    await system.stop();
  });

  /** What a direct Kafka refund comes to: a rejected (or committed) refund row, or a dead letter. */
  async function overKafka(tenantId: string, refundOf: string, extra: object = {}) {
    const key = `refund-${randomUUID()}`;
    await producer.send({
      topic: system.topics.commands,
      messages: [
        {
          key: refundOf,
          value: commandEnvelope('transfer.refund', {
            tenant_id: tenantId,
            idempotency_key: key,
            refund_of: refundOf,
            ...extra,
          }),
        },
      ],
    });
    return eventually(async () => {
      const { rows } = await system.pool.query<{ status: string; reason: string | null }>(
        "SELECT status, reason FROM transfers WHERE tenant_id = $1 AND idempotency_key = $2 AND status <> 'pending'",
        [tenantId, key],
      );
      if (rows[0]) return rows[0].reason ?? rows[0].status;
      const letter = dead.messages.find((m) => m.value?.toString().includes(key));
      return letter ? `dead: ${letter.headers?.[DEAD_LETTER_HEADERS.reason]?.toString()}` : undefined;
    }, 20_000);
  }

  const overRest = async (api: Client, id: string, body: object = {}) => {
    const reply = await api.post(`/v1/transfers/${id}/refunds`, body, idem());
    return reply.status === 400
      ? `400 ${reply.body.error.details[0].code}`
      : `${reply.status} ${reply.body.error?.code ?? reply.body.status}`;
  };

  it('its own withdrawal, deposit or rejected transfer: 409 transfer_not_refundable, and rejected not_refundable from Kafka', async () => {
    const { id: tenantId, api } = await newTenant(system.url, 'Self');
    const account = await fundedAccount(api, 'USD', 100);
    const other = await fundedAccount(api, 'USD', 0);
    const deposit = (await api.get(`/v1/transfers?account_id=${account}&kind=deposit`)).body.data[0].id;
    const withdrawal = await settled(
      api,
      (
        await api.post(
          '/v1/transfers',
          { kind: 'withdrawal', source_account_id: account, amount: 10, currency: 'USD' },
          idem(),
        )
      ).body.id,
    );
    const rejected = await settled(
      api,
      (
        await api.post(
          '/v1/transfers',
          { source_account_id: other, destination_account_id: account, amount: 10, currency: 'USD' },
          idem(),
        )
      ).body.id,
    );
    expect(rejected.status).toBe('rejected');
    for (const id of [withdrawal.id, deposit, rejected.id]) {
      expect(await overRest(api, id)).toBe('409 transfer_not_refundable');
      expect(await overKafka(tenantId, id)).toBe('not_refundable');
    }
  });

  it('a hold it was paid by: 409, rejected not_refundable; the hold`s void, a payment it made to another business, or one to it that was rejected: 404, dead-lettered refund_of_not_found', async () => {
    const payer = await newTenant(system.url, 'Payer');
    const merchant = await newTenant(system.url, 'Merchant');
    const card = await fundedAccount(payer.api, 'USD', 100);
    const till = await fundedAccount(merchant.api, 'USD', 0);
    const hold = await settled(
      payer.api,
      (
        await payer.api.post(
          '/v1/transfers',
          {
            source_account_id: card,
            destination_account_id: till,
            amount: 30,
            currency: 'USD',
            capture: 'manual',
          },
          idem(),
        )
      ).body.id,
    );
    expect(hold.status).toBe('held');
    expect(await overRest(merchant.api, hold.id)).toBe('409 transfer_not_refundable');
    expect(await overKafka(merchant.id, hold.id)).toBe('not_refundable');
    // Its void is the payer's alone to read: the payee is told nothing of it, both ways.
    const voided = await payer.api.post(`/v1/transfers/${hold.id}/void`, {}, idem());
    expect((await settled(payer.api, voided.body.id)).status).toBe('committed');
    expect(await overRest(merchant.api, voided.body.id)).toBe('404 not_found');
    expect(await overKafka(merchant.id, voided.body.id)).toBe('dead: refund_of_not_found');
    expect(await overKafka(merchant.id, hold.id)).toBe('not_refundable');

    const paid = await settled(
      payer.api,
      (
        await payer.api.post(
          '/v1/transfers',
          { source_account_id: card, destination_account_id: till, amount: 20, currency: 'USD' },
          idem(),
        )
      ).body.id,
    );
    expect(await overRest(payer.api, paid.id)).toBe('404 not_found');
    expect(await overKafka(payer.id, paid.id)).toBe('dead: refund_of_not_found');
    const refused = await settled(
      payer.api,
      (
        await payer.api.post(
          '/v1/transfers',
          { source_account_id: card, destination_account_id: till, amount: 1_000, currency: 'USD' },
          idem(),
        )
      ).body.id,
    );
    expect(refused.status).toBe('rejected');
    expect(await overRest(merchant.api, refused.id)).toBe('404 not_found');
    expect(await overKafka(merchant.id, refused.id)).toBe('dead: refund_of_not_found');
    expect(await overKafka(merchant.id, randomUUID())).toBe('dead: refund_of_not_found');
  });

  it('a split leg it cannot tell or does not own: the same codes, 400 over REST and rejected from Kafka', async () => {
    const payer = await newTenant(system.url, 'Payer');
    const seller = await newTenant(system.url, 'Seller');
    const card = await fundedAccount(payer.api, 'USD', 100);
    const fee = await fundedAccount(payer.api, 'USD', 0);
    const one = await fundedAccount(seller.api, 'USD', 0);
    const two = await fundedAccount(seller.api, 'USD', 0);
    const plain = await fundedAccount(seller.api, 'USD', 0);
    const split = await settled(
      payer.api,
      (
        await payer.api.post(
          '/v1/transfers',
          {
            source_account_id: card,
            currency: 'USD',
            legs: [
              { destination_account_id: one, amount: 10 },
              { destination_account_id: fee, amount: 5 },
              { destination_account_id: two, amount: 10 },
            ],
          },
          idem(),
        )
      ).body.id,
    );
    expect(split.status).toBe('committed');
    const payment = await settled(
      payer.api,
      (
        await payer.api.post(
          '/v1/transfers',
          { source_account_id: card, destination_account_id: plain, amount: 5, currency: 'USD' },
          idem(),
        )
      ).body.id,
    );
    for (const [id, body, code] of [
      [split.id, {}, 'refund_leg_required'],
      [split.id, { leg: 1 }, 'refund_leg_not_owned'],
      [split.id, { leg: 9 }, 'refund_leg_not_owned'],
      [payment.id, { leg: 0 }, 'refund_leg_not_owned'],
    ] as const) {
      expect(await overRest(seller.api, id, body)).toBe(`400 ${code}`);
      expect(await overKafka(seller.id, id, body)).toBe(code);
    }
    // And the one it may make, both ways.
    expect(await overRest(seller.api, split.id, { leg: 0, amount: 1 })).toBe('202 pending');
    expect(await overKafka(seller.id, split.id, { leg: 2, amount: '1' })).toBe('committed');
  });
});
