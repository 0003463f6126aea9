import { randomUUID } from 'node:crypto';
import { createOrderedProducer, createKafka } from '../../platform/kafka';
import { createLogger } from '../../platform/logger';
import { fundedAccount, idem, newTenant, settled } from '../support/client';
import { startSystem, type System } from '../support/system';

describe('a transfer travels end to end through HTTP, Kafka and PostgreSQL', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system.stop();
  });

  it('answers 202 pending with a Location, then the poll shows it committed with balanced entries', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 10_000);
    const to = await fundedAccount(api, 'USD', 0);

    const submitted = await api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 2_500, currency: 'USD' },
      idem(),
    );
    expect(submitted.status).toBe(202);
    expect(submitted.body.status).toBe('pending');
    expect(submitted.headers.get('location')).toBe(`/v1/transfers/${submitted.body.id}`);

    const final = await settled(api, submitted.body.id);
    expect(final.status).toBe('committed');
    expect(final.entries).toEqual([
      { account_id: from, direction: 'debit', amount: '2500', currency: 'USD' },
      { account_id: to, direction: 'credit', amount: '2500', currency: 'USD' },
    ]);
    expect((await api.get(`/v1/accounts/${from}`)).body.balance).toBe('7500');
    expect((await api.get(`/v1/accounts/${to}`)).body.balance).toBe('2500');
  });

  it('applies nothing twice when Kafka redelivers already-processed commands', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 10_000);
    const to = await fundedAccount(api, 'USD', 0);
    const submitted = await api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 1_000, currency: 'USD' },
      idem(),
    );
    await settled(api, submitted.body.id);
    const { rows } = await system.pool.query<{ command: object }>(
      'SELECT command FROM transfers WHERE id = $1',
      [submitted.body.id],
    );
    const command = JSON.stringify({
      type: 'transfer.requested',
      version: 1,
      occurred_at: new Date().toISOString(),
      payload: rows[0]!.command,
    });

    const kafka = createKafka({
      brokers: system.brokers,
      clientId: 'test-redeliver',
      logger: createLogger({ service: 'test', level: 'silent', pretty: false }),
    });
    const producer = createOrderedProducer(kafka);
    await producer.connect();
    await producer.send({
      topic: system.topics.commands,
      messages: [1, 2, 3].map(() => ({ key: from, value: command })),
    });
    // A marker on the same partition (same key) commits only after the redeliveries were handled.
    const marker = await api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 1, currency: 'USD' },
      idem(),
    );
    await producer.disconnect();
    expect((await settled(api, marker.body.id)).status).toBe('committed');

    expect((await api.get(`/v1/accounts/${from}`)).body.balance).toBe('8999');
    expect((await api.get(`/v1/accounts/${to}`)).body.balance).toBe('1001');
    const entries = await system.pool.query('SELECT count(*)::int AS n FROM entries WHERE transfer_id = $1', [
      submitted.body.id,
    ]);
    expect(entries.rows[0].n).toBe(2);
  });

  it('keeps the promise of a 202 across a processor restart', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 500);
    const to = await fundedAccount(api, 'USD', 0);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await api.post(
        '/v1/transfers',
        { source_account_id: from, destination_account_id: to, amount: 10, currency: 'USD' },
        { 'idempotency-key': `restart-${randomUUID()}` },
      );
      ids.push(r.body.id);
      if (i === 10) await system.restartProcessor();
    }
    const finals = await Promise.all(ids.map((id) => settled(api, id)));
    expect(finals.every((t) => t.status === 'committed')).toBe(true);
    expect((await api.get(`/v1/accounts/${to}`)).body.balance).toBe('200');
  });
});
