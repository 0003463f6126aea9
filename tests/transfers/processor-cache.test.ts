import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { commandJson } from '../support/kafka-messages';
import { fundedAccount, idem, newTenant, settled } from '../support/client';
import { eventually } from '../support/eventually';
import { startSystem, type System } from '../support/system';

describe("the processor's bounded caches", () => {
  let system: System;
  let producer: Producer;
  beforeAll(async () => {
    // Bounds of two accounts and one tenant: a customer base larger than the caches, in miniature.
    system = await startSystem({ PROCESSOR_ACCOUNT_CACHE_MAX: '2', PROCESSOR_TENANT_CACHE_MAX: '1' });
    producer = await system.directProducer();
  });
  afterAll(async () => {
    await system.stop();
  });

  it('never rejects a valid transfer as account_not_found when the account cache is past its bound', async () => {
    const { api } = await newTenant(system.url);
    // Each deposit is its own batch: three accounts pass through a cache that holds two.
    const a = await fundedAccount(api, 'USD', 100);
    await fundedAccount(api, 'USD', 100);
    await fundedAccount(api, 'USD', 100);
    const d = await fundedAccount(api, 'USD', 0);
    // The batch needs a (maybe cached) and d (not cached). Clearing the cache when full used to
    // drop a as well, and the transfer was rejected account_not_found.
    const res = await api.post(
      '/v1/transfers',
      { source_account_id: a, destination_account_id: d, amount: 40, currency: 'USD' },
      idem(),
    );
    expect(await settled(api, res.body.id)).toMatchObject({ status: 'committed', reason: null });
    expect((await api.get(`/v1/accounts/${d}`)).body.balance).toBe('40');
  });

  it('accepts every tenant of a batch when the batch holds more tenants than the tenant cache', async () => {
    const tenants = await Promise.all([newTenant(system.url), newTenant(system.url), newTenant(system.url)]);
    const accounts = await Promise.all(tenants.map(({ api }) => fundedAccount(api, 'EUR', 0)));
    const ids = tenants.map(() => randomUUID());
    // One key, one send: the three deposits reach the processor as one batch.
    await producer.send({
      topic: system.topics.commands,
      messages: tenants.map((t, i) => ({
        key: 'same-partition',
        value: commandJson({
          transfer_id: ids[i],
          tenant_id: t.id,
          idempotency_key: randomUUID(),
          kind: 'deposit',
          destination_account_id: accounts[i],
          amount: '5',
          currency: 'EUR',
        }),
      })),
    });
    for (const [i, t] of tenants.entries()) {
      const reply = await eventually(
        async () => {
          const r = await t.api.get(`/v1/transfers/${ids[i]}?wait=5`);
          return r.status !== 404 && r;
        },
        20_000,
        50,
        'the transfer recorded',
      );
      expect(reply.body.status).toBe('committed');
    }
  });
});
