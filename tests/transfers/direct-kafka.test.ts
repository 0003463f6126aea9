import { randomUUID } from 'node:crypto';
import type { KafkaMessage, Producer } from 'kafkajs';
import { DEAD_LETTER_HEADERS, LedgerEventV1 } from '../../contracts/src';
import type { Kafka } from '../../platform/kafka';
import { fundedAccount, newTenant, settled } from '../support/client';
import { collect, commandJson } from '../support/kafka-messages';
import { eventually } from '../support/eventually';
import { startSystem, type System } from '../support/system';

const command = commandJson;

describe('services that produce commands to Kafka directly', () => {
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

  it('commits a command published straight to the topic, with the same semantics as REST', async () => {
    const { id: tenantId, api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'EUR', 1_000);
    const to = await fundedAccount(api, 'EUR', 0);
    const key = `direct-${randomUUID()}`;
    const payload = {
      tenant_id: tenantId,
      idempotency_key: key,
      source_account_id: from,
      destination_account_id: to,
      amount: '250',
      currency: 'EUR',
    };
    await producer.send({
      topic: system.topics.commands,
      messages: [
        { key: from, value: command(payload) },
        { key: from, value: command(payload) },
      ],
    });

    const transfers = await eventually(
      async () => {
        const data = (await api.get(`/v1/transfers?account_id=${to}&status=committed`)).body.data;
        return data.length > 0 && data;
      },
      20_000,
      50,
      'the transfer committed',
    );
    expect(transfers).toHaveLength(1);
    expect((await api.get(`/v1/accounts/${to}`)).body.balance).toBe('250');
  });

  it('records a command in a currency the ledger does not hold as rejected (unsupported_currency), readable by its producer', async () => {
    const { id: tenantId, api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 100);
    const to = await fundedAccount(api, 'USD', 0);
    const transferId = randomUUID();
    await producer.send({
      topic: system.topics.commands,
      messages: [
        {
          key: from,
          value: command({
            transfer_id: transferId,
            tenant_id: tenantId,
            idempotency_key: `xts-${randomUUID()}`,
            source_account_id: from,
            destination_account_id: to,
            amount: '10',
            currency: 'XTS',
          }),
        },
      ],
    });
    const reply = await eventually(
      async () => {
        const r = await api.get(`/v1/transfers/${transferId}?wait=5`);
        return r.status !== 404 && r;
      },
      20_000,
      50,
      'the transfer recorded',
    );
    expect(reply.body).toMatchObject({
      status: 'rejected',
      currency: 'XTS',
      reason: { code: 'unsupported_currency' },
      entries: [],
    });
    expect((await api.get(`/v1/accounts/${from}`)).body.balance).toBe('100');
  });

  it('dead-letters a poison message with its reason while the good ones after it commit', async () => {
    const { id: tenantId, api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 1_000);
    const to = await fundedAccount(api, 'USD', 0);
    const dlq = await collect(kafka, system.topics.deadLetter);
    const good = (n: number) =>
      command({
        tenant_id: tenantId,
        idempotency_key: `good-${n}-${randomUUID()}`,
        source_account_id: from,
        destination_account_id: to,
        amount: '10',
        currency: 'USD',
      });
    const poison = [
      { value: '{not json', reason: 'malformed_json' },
      { value: command({ tenant_id: tenantId, amount: 1.5 }), reason: 'schema_violation' },
      { value: 'x'.repeat(20_000), reason: 'oversized' },
      {
        value: command({
          tenant_id: randomUUID(),
          idempotency_key: 'k',
          source_account_id: from,
          destination_account_id: to,
          amount: '1',
          currency: 'USD',
        }),
        reason: 'unknown_tenant',
      },
    ];
    await producer.send({
      topic: system.topics.commands,
      messages: [
        { key: from, value: good(1) },
        ...poison.map((p) => ({ key: from, value: p.value })),
        { key: from, value: good(2) },
      ],
    });

    const dead = await dlq.until(
      (all) => all.filter((m) => m.key?.toString() === from).length >= poison.length,
    );
    await dlq.stop();
    const reasons = dead
      .filter((m) => m.key?.toString() === from)
      .map((m) => m.headers?.[DEAD_LETTER_HEADERS.reason]?.toString());
    expect(reasons.sort()).toEqual(poison.map((p) => p.reason).sort());
    const marker = await api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 1, currency: 'USD' },
      { 'idempotency-key': randomUUID() },
    );
    await settled(api, marker.body.id);
    expect((await api.get(`/v1/accounts/${to}`)).body.balance).toBe('21');
  });

  it('publishes the outcome and per-account events through the outbox, and only for what committed', async () => {
    const payer = await newTenant(system.url);
    const payee = await newTenant(system.url);
    const from = await fundedAccount(payer.api, 'USD', 100);
    const to = await fundedAccount(payee.api, 'USD', 0);
    const events = await collect(kafka, system.topics.events);
    const ok = await payer.api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 60, currency: 'USD' },
      { 'idempotency-key': randomUUID() },
    );
    const short = await payer.api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 60, currency: 'USD' },
      { 'idempotency-key': randomUUID() },
    );
    await settled(payer.api, short.body.id);

    const parse = (m: KafkaMessage) => LedgerEventV1.parse(JSON.parse(m.value!.toString()));
    const about = (id: string) => (all: KafkaMessage[]) =>
      all.map(parse).filter((e) => ('id' in e.payload ? e.payload.id === id : e.payload.transfer_id === id));
    await events.until(
      (all) => about(ok.body.id)(all).length === 3 && about(short.body.id)(all).length === 1,
    );
    await events.stop();
    const okEvents = about(ok.body.id)(events.messages);
    expect(okEvents.map((e) => e.type).sort()).toEqual([
      'account.credited',
      'account.debited',
      'transfer.committed',
    ]);
    expect(okEvents.find((e) => e.type === 'account.credited')!.tenant_id).toBe(payee.id);
    expect(okEvents.find((e) => e.type === 'account.debited')!.tenant_id).toBe(payer.id);
    expect(about(short.body.id)(events.messages).map((e) => e.type)).toEqual(['transfer.rejected']);
  });
});
