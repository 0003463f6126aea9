import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { createDispatcher, type Dispatcher } from '../../webhook-dispatcher/src/create-dispatcher';
import { fundedAccount, idem, newTenant, settled } from '../support/client';
import { startSystem, type System } from '../support/system';
import { dispatcherConfig, logger } from './harness';
import { eventually } from '../support/eventually';
import { startReceiver, type Received, type TestReceiver } from './test-receiver';

/**
 * The whole path over real HTTP, Kafka and PostgreSQL: endpoints managed through the API,
 * transfers committed by the processor, events relayed from its outbox, delivered by the dispatcher.
 */
describe('webhooks through the API, the processor and the dispatcher', () => {
  let system: System;
  let dispatcher: Dispatcher;
  let receiver: TestReceiver;
  beforeAll(async () => {
    system = await startSystem({ WEBHOOK_ALLOW_HTTP: 'true' });
    dispatcher = createDispatcher(dispatcherConfig(system.prefix), logger);
    await dispatcher.start();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await dispatcher?.stop();
    await system?.stop();
    await receiver?.close();
  });

  const verified = (secret: string, requests: Received[]) =>
    requests.map(
      (r) =>
        new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as {
          type: string;
          data: Record<string, string>;
        },
    );

  it('creates an endpoint whose secret is shown once, then lists, reads, updates and deletes it', async () => {
    const { api } = await newTenant(system.url);
    const created = await api.post('/v1/webhook-endpoints', {
      url: 'https://hooks.example.com/ledger',
      event_types: ['transfer.committed'],
      description: 'books',
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.body).toMatchObject({
      status: 'enabled',
      disabled_reason: null,
      event_types: ['transfer.committed'],
    });
    const id = created.body.id as string;

    const read = await api.get(`/v1/webhook-endpoints/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.secret).toBeUndefined();
    expect((await api.get('/v1/webhook-endpoints')).body.data.map((e: { id: string }) => e.id)).toEqual([id]);

    const patched = await api.patch(`/v1/webhook-endpoints/${id}`, {
      event_types: ['account.credited', 'account.debited'],
    });
    expect(patched.body.event_types).toEqual(['account.credited', 'account.debited']);
    const stored = await system.pool.query('SELECT secret_encrypted FROM webhook_endpoints WHERE id = $1', [
      id,
    ]);
    expect(stored.rows[0].secret_encrypted.toString('latin1')).not.toContain(created.body.secret.slice(6));

    expect((await api.delete(`/v1/webhook-endpoints/${id}`)).status).toBe(204);
    expect((await api.get(`/v1/webhook-endpoints/${id}`)).status).toBe(404);
  });

  it('answers 400 naming the field for an unknown event type, an empty list or a URL that is not http(s)', async () => {
    const { api } = await newTenant(system.url);
    for (const [body, field] of [
      [{ url: 'https://x.example', event_types: ['transfer.exploded'] }, 'event_types.0'],
      [{ url: 'https://x.example', event_types: [] }, 'event_types'],
      [{ url: 'ftp://x.example', event_types: ['transfer.committed'] }, 'url'],
      [{ url: 'https://user:pw@x.example', event_types: ['transfer.committed'] }, 'url'],
    ] as const) {
      const res = await api.post('/v1/webhook-endpoints', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
  });

  it('answers 409 webhook_endpoint_limit_reached to one endpoint more than a tenant may have (20 by default)', async () => {
    const { api } = await newTenant(system.url);
    const endpoint = { url: 'https://hooks.example.com/ledger', event_types: ['transfer.committed'] };
    for (let i = 0; i < 20; i++) expect((await api.post('/v1/webhook-endpoints', endpoint)).status).toBe(201);

    const refused = await api.post('/v1/webhook-endpoints', endpoint);

    expect([refused.status, refused.body.error.code, refused.body.error.message]).toEqual([
      409,
      'webhook_endpoint_limit_reached',
      'a tenant has at most 20 webhook endpoints',
    ]);
    expect((await api.get('/v1/webhook-endpoints?limit=100')).body.data).toHaveLength(20);
  });

  it("answers 404 for another tenant's endpoint and delivery, whatever the route", async () => {
    const owner = await newTenant(system.url);
    const stranger = await newTenant(system.url);
    const target = receiver.endpoint();
    const endpoint = await owner.api.post('/v1/webhook-endpoints', {
      url: target.url,
      event_types: ['account.credited'],
    });
    await fundedAccount(owner.api, 'USD', 500);
    const [request] = await receiver.waitFor(target.path, 1);
    const delivery = (await owner.api.get(`/v1/webhook-endpoints/${endpoint.body.id}/deliveries`)).body
      .data[0];
    expect(delivery.event_id).toBe(request!.headers['webhook-id']);

    const id = endpoint.body.id;
    const answers = await Promise.all([
      stranger.api.get(`/v1/webhook-endpoints/${id}`),
      stranger.api.patch(`/v1/webhook-endpoints/${id}`, { description: 'mine now' }),
      stranger.api.post(`/v1/webhook-endpoints/${id}/disable`),
      stranger.api.post(`/v1/webhook-endpoints/${id}/rotate-secret`),
      stranger.api.get(`/v1/webhook-endpoints/${id}/deliveries`),
      stranger.api.post(`/v1/webhook-endpoints/${id}/recover`, { since: new Date(0).toISOString() }),
      stranger.api.post(`/v1/webhook-deliveries/${delivery.id}/retry`),
      stranger.api.delete(`/v1/webhook-endpoints/${id}`),
    ]);
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(404));
    expect((await stranger.api.get('/v1/webhook-endpoints')).body.data).toEqual([]);
    expect((await owner.api.get(`/v1/webhook-endpoints/${id}`)).body.status).toBe('enabled');
  });

  it('tells payer and payee of a committed transfer, each on its own endpoints, verifiably signed', async () => {
    const payer = await newTenant(system.url);
    const payee = await newTenant(system.url);
    const payerHook = receiver.endpoint();
    const payeeHook = receiver.endpoint();
    const payerEndpoint = await payer.api.post('/v1/webhook-endpoints', {
      url: payerHook.url,
      event_types: ['transfer.committed', 'account.debited'],
    });
    const payeeEndpoint = await payee.api.post('/v1/webhook-endpoints', {
      url: payeeHook.url,
      event_types: ['account.credited'],
    });
    const from = await fundedAccount(payer.api, 'EUR', 1_000);
    const to = await fundedAccount(payee.api, 'EUR', 0);

    const transfer = await payer.api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 250, currency: 'EUR' },
      idem(),
    );
    await settled(payer.api, transfer.body.id);

    // The payer's deposit committed too: it sees that transfer.committed, then the payment's two events.
    const payerEvents = await eventually(async () => {
      const got = verified(payerEndpoint.body.secret, receiver.requests(payerHook.path));
      return got.filter((e) => e.data.transfer_id === transfer.body.id || e.data.id === transfer.body.id)
        .length === 2
        ? got
        : undefined;
    });
    expect(payerEvents).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'transfer.committed',
          data: expect.objectContaining({ id: transfer.body.id, status: 'committed' }),
        }),
        expect.objectContaining({
          type: 'account.debited',
          data: expect.objectContaining({
            account_id: from,
            transfer_id: transfer.body.id,
            amount: '250',
            balance_after: '750',
          }),
        }),
      ]),
    );
    const [credited] = verified(payeeEndpoint.body.secret, await receiver.waitFor(payeeHook.path, 1));
    expect(credited).toMatchObject({
      type: 'account.credited',
      data: { account_id: to, amount: '250', balance_after: '250' },
    });
  });

  it('a rejected transfer produces transfer.rejected and no debit or credit events', async () => {
    const payer = await newTenant(system.url);
    const payee = await newTenant(system.url);
    const payerHook = receiver.endpoint();
    const payeeHook = receiver.endpoint();
    const all = ['transfer.committed', 'transfer.rejected', 'account.debited', 'account.credited'];
    const payerEndpoint = await payer.api.post('/v1/webhook-endpoints', {
      url: payerHook.url,
      event_types: all,
    });
    const payeeEndpoint = await payee.api.post('/v1/webhook-endpoints', {
      url: payeeHook.url,
      event_types: all,
    });
    const from = await fundedAccount(payer.api, 'USD', 100);
    const to = await fundedAccount(payee.api, 'USD', 0);

    const rejected = await payer.api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 5_000, currency: 'USD' },
      idem(),
    );
    expect((await settled(payer.api, rejected.body.id)).status).toBe('rejected');
    // A later payment between the same accounts: events are ordered per account, so once its
    // debit and credit have arrived, any debit or credit of the rejected one would have too.
    const marker = await payer.api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 1, currency: 'USD' },
      idem(),
    );
    await settled(payer.api, marker.body.id);
    const payerEvents = await eventually(async () => {
      const got = verified(payerEndpoint.body.secret, receiver.requests(payerHook.path));
      return got.some((e) => e.type === 'account.debited' && e.data.transfer_id === marker.body.id)
        ? got
        : undefined;
    });
    const payeeEvents = await eventually(async () => {
      const got = verified(payeeEndpoint.body.secret, receiver.requests(payeeHook.path));
      return got.some((e) => e.type === 'account.credited' && e.data.transfer_id === marker.body.id)
        ? got
        : undefined;
    });

    const aboutRejected = [...payerEvents, ...payeeEvents].filter(
      (e) => e.data.id === rejected.body.id || e.data.transfer_id === rejected.body.id,
    );
    expect(aboutRejected).toEqual([
      expect.objectContaining({
        type: 'transfer.rejected',
        data: expect.objectContaining({
          id: rejected.body.id,
          status: 'rejected',
          reason: expect.objectContaining({ code: 'insufficient_funds' }),
          entries: [],
        }),
      }),
    ]);
  });

  it('after a secret rotation, deliveries verify with the new secret and, for 24 hours, the old one', async () => {
    const { api } = await newTenant(system.url);
    const target = receiver.endpoint();
    const created = await api.post('/v1/webhook-endpoints', {
      url: target.url,
      event_types: ['account.credited'],
    });
    const rotated = await api.post(`/v1/webhook-endpoints/${created.body.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(Date.parse(rotated.body.previous_secret_expires_at) - Date.now()).toBeGreaterThan(
      23.9 * 3_600_000,
    );

    await fundedAccount(api, 'GBP', 10);
    const [request] = await receiver.waitFor(target.path, 1);

    expect(String(request!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verified(rotated.body.secret, [request!])[0]!.type).toBe('account.credited');
    expect(verified(created.body.secret, [request!])[0]!.type).toBe('account.credited');
  });

  it('logs each delivery with its attempts, resends one on request, and recovers the failed ones of a fixed endpoint', async () => {
    const { api } = await newTenant(system.url);
    let broken = true;
    const target = receiver.endpoint(() => (broken ? { status: 500, body: 'down' } : { status: 200 }));
    const endpoint = await api.post('/v1/webhook-endpoints', {
      url: target.url,
      event_types: ['account.credited'],
    });
    const id = endpoint.body.id as string;
    await fundedAccount(api, 'CHF', 10);
    await fundedAccount(api, 'CHF', 20);
    await receiver.waitFor(target.path, 6); // 2 messages × 3 attempts (schedule 0, 100, 200 ms)

    const failed = await eventually(async () => {
      const res = await api.get(`/v1/webhook-endpoints/${id}/deliveries?status=failed`);
      return res.body.data.length === 2 ? res.body.data : undefined;
    });
    expect(failed[0].attempts).toHaveLength(3);
    expect(failed[0].attempts[0]).toMatchObject({
      trigger: 'event',
      status: 'failed',
      response_status_code: 500,
      error: 'HTTP 500',
      latency_ms: expect.any(Number),
    });
    expect(failed[0].next_attempt_at).toBeNull();

    broken = false;
    const retried = await api.post(`/v1/webhook-deliveries/${failed[0].id}/retry`);
    expect(retried.status).toBe(202);
    await receiver.waitFor(target.path, 7);
    const afterRetry = await eventually(async () => {
      const res = await api.get(`/v1/webhook-endpoints/${id}/deliveries?status=delivered`);
      return res.body.data.length === 1 ? res.body.data[0] : undefined;
    });
    expect(
      afterRetry.attempts.map((a: { trigger: string; status: string }) => [a.trigger, a.status]),
    ).toContainEqual(['manual', 'succeeded']);

    const recovered = await api.post(`/v1/webhook-endpoints/${id}/recover`, {
      since: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(recovered.body).toEqual({ recovered: 1 });
    await receiver.waitFor(target.path, 8);
    await eventually(async () => {
      const res = await api.get(`/v1/webhook-endpoints/${id}/deliveries?status=delivered`);
      return res.body.data.length === 2;
    });
  });

  it('an endpoint disabled by hand is sent nothing until it is enabled again', async () => {
    const { api } = await newTenant(system.url);
    const target = receiver.endpoint();
    const endpoint = await api.post('/v1/webhook-endpoints', {
      url: target.url,
      event_types: ['account.credited'],
    });
    const id = endpoint.body.id as string;
    const disabled = await api.post(`/v1/webhook-endpoints/${id}/disable`);
    expect(disabled.body).toMatchObject({ status: 'disabled', disabled_reason: 'manual' });
    const recover = await api.post(`/v1/webhook-endpoints/${id}/recover`, {
      since: new Date().toISOString(),
    });
    expect([recover.status, recover.body.error.code]).toEqual([409, 'webhook_endpoint_disabled']);

    // A second, enabled endpoint witnesses that the credit made while disabled has been fanned out,
    // so re-enabling below cannot race that event's fan-out.
    const witness = receiver.endpoint();
    await api.post('/v1/webhook-endpoints', { url: witness.url, event_types: ['account.credited'] });
    const whileDisabled = await fundedAccount(api, 'JPY', 1_000);
    const [witnessed] = await receiver.waitFor(witness.path, 1);
    expect(JSON.parse(witnessed!.body).data.account_id).toBe(whileDisabled);
    expect((await api.get(`/v1/webhook-endpoints/${id}/deliveries`)).body.data).toEqual([]);

    const enabled = await api.post(`/v1/webhook-endpoints/${id}/enable`);
    expect(enabled.body).toMatchObject({ status: 'enabled', disabled_reason: null });
    const account = await fundedAccount(api, 'JPY', 5);
    const [request] = await receiver.waitFor(target.path, 1);
    expect(JSON.parse(request!.body).data.account_id).toBe(account);
    expect(receiver.requests(target.path)).toHaveLength(1);
  });

  it('an endpoint disabled for answering 410 has its failed deliveries recovered once fixed and enabled', async () => {
    const { api } = await newTenant(system.url);
    let gone = true;
    const target = receiver.endpoint(() => ({ status: gone ? 410 : 204 }));
    const endpoint = await api.post('/v1/webhook-endpoints', {
      url: target.url,
      event_types: ['account.credited'],
    });
    const id = endpoint.body.id as string;
    const since = new Date(Date.now() - 1_000).toISOString();
    await fundedAccount(api, 'CAD', 7);
    await receiver.waitFor(target.path, 1);
    const disabled = await eventually(async () => {
      const res = await api.get(`/v1/webhook-endpoints/${id}`);
      return res.body.status === 'disabled' ? res.body : undefined;
    });
    expect(disabled.disabled_reason).toBe('gone');

    gone = false;
    await api.post(`/v1/webhook-endpoints/${id}/enable`);
    expect((await api.post(`/v1/webhook-endpoints/${id}/recover`, { since })).body).toEqual({ recovered: 1 });

    const [, resent] = await receiver.waitFor(target.path, 2);
    expect(resent!.headers['webhook-id']).toBe(receiver.requests(target.path)[0]!.headers['webhook-id']);
  });

  it('answers 409 to a retry while an attempt is scheduled', async () => {
    const { api } = await newTenant(system.url);
    const target = receiver.endpoint(() => 'hang');
    const endpoint = await api.post('/v1/webhook-endpoints', {
      url: target.url,
      event_types: ['account.credited'],
    });
    await fundedAccount(api, 'AUD', 1);
    await receiver.waitFor(target.path, 1);
    const [delivery] = (await api.get(`/v1/webhook-endpoints/${endpoint.body.id}/deliveries`)).body.data;

    const res = await api.post(`/v1/webhook-deliveries/${delivery.id}/retry`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('webhook_delivery_in_progress');
    expect((await api.post(`/v1/webhook-deliveries/${randomUUID()}/retry`)).status).toBe(404);
  });
});
