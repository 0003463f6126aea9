import { randomUUID } from 'node:crypto';
import { fundedAccount, newTenant, settled } from '../support/client';
import { startSystem, type System } from '../support/system';

describe('idempotency of transfer submissions', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system.stop();
  });

  it('answers 400 idempotency_key_missing when the header is absent', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 0);
    const res = await api.post('/v1/transfers', {
      kind: 'withdrawal',
      source_account_id: from,
      amount: 1,
      currency: 'USD',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('idempotency_key_missing');
  });

  it('replays the same transfer with Idempotency-Replayed when the same key comes with the same body', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 1_000);
    const to = await fundedAccount(api, 'USD', 0);
    const key = { 'idempotency-key': randomUUID() };
    const body = { source_account_id: from, destination_account_id: to, amount: 300, currency: 'USD' };
    const first = await api.post('/v1/transfers', body, key);
    await settled(api, first.body.id);
    // The amount as a string of digits is the same request as the integer.
    const again = await api.post('/v1/transfers', { ...body, amount: '300' }, key);

    expect(again.status).toBe(202);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.status).toBe('committed');
    expect((await api.get(`/v1/accounts/${from}`)).body.balance).toBe('700');
  });

  it('answers 422 idempotency_key_reused when the same key comes with another body', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 1_000);
    const to = await fundedAccount(api, 'USD', 0);
    const key = { 'idempotency-key': randomUUID() };
    await api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 1, currency: 'USD' },
      key,
    );
    const reused = await api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 2, currency: 'USD' },
      key,
    );
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
  });

  it('creates exactly one transfer from many concurrent requests with one key', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 1_000);
    const to = await fundedAccount(api, 'USD', 0);
    const key = { 'idempotency-key': randomUUID() };
    const body = { source_account_id: from, destination_account_id: to, amount: 100, currency: 'USD' };
    const replies = await Promise.all(Array.from({ length: 20 }, () => api.post('/v1/transfers', body, key)));

    expect(replies.every((r) => r.status === 202)).toBe(true);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(replies.filter((r) => r.headers.get('idempotency-replayed') === 'true')).toHaveLength(19);
    await settled(api, replies[0]!.body.id);
    expect((await api.get(`/v1/accounts/${from}`)).body.balance).toBe('900');
  });

  it('scopes keys per tenant: two tenants may use the same key', async () => {
    const a = await newTenant(system.url);
    const b = await newTenant(system.url);
    const key = { 'idempotency-key': `shared-${randomUUID()}` };
    const aFrom = await fundedAccount(a.api, 'EUR', 100);
    const bFrom = await fundedAccount(b.api, 'EUR', 100);
    const ra = await a.api.post(
      '/v1/transfers',
      { kind: 'withdrawal', source_account_id: aFrom, amount: 10, currency: 'EUR' },
      key,
    );
    const rb = await b.api.post(
      '/v1/transfers',
      { kind: 'withdrawal', source_account_id: bFrom, amount: 20, currency: 'EUR' },
      key,
    );
    expect(ra.status).toBe(202);
    expect(rb.status).toBe(202);
    expect(ra.body.id).not.toBe(rb.body.id);
    expect((await settled(a.api, ra.body.id)).status).toBe('committed');
    expect((await settled(b.api, rb.body.id)).status).toBe('committed');
  });
});
