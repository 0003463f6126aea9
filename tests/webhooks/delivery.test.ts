import { Webhook } from 'standardwebhooks';
import { attemptsOf, startHarness, type Harness } from './harness';
import { eventually } from '../support/eventually';
import { startReceiver, type TestReceiver } from './test-receiver';

/**
 * The dispatcher against real PostgreSQL and Kafka, fed with ledger events published to a topic
 * prefix of this file's own, delivering to a local receiver. Retry schedule: 0, 100, 200 ms.
 */
describe('webhook delivery', () => {
  let h: Harness;
  let receiver: TestReceiver;
  beforeAll(async () => {
    h = await startHarness();
    receiver = await startReceiver();
    await h.startDispatcher({ WEBHOOK_TIMEOUT_MS: '500', WEBHOOK_LEASE_MS: '2000' });
  });
  afterAll(async () => {
    await h?.stop();
    await receiver?.close();
  });

  const messageStatus = async (endpointId: string) =>
    (
      await h.pool.query<{ status: string }>('SELECT status FROM webhook_messages WHERE endpoint_id = $1', [
        endpointId,
      ])
    ).rows.map((r) => r.status);

  it('delivers each event to the subscribed endpoints of its tenant only, signed so that Webhook.verify accepts it', async () => {
    const tenant = await h.newTenant();
    const other = await h.newTenant();
    const credits = receiver.endpoint();
    const debitsOnly = receiver.endpoint();
    const otherTenants = receiver.endpoint();
    const subscribed = await h.newEndpoint(tenant, credits.url, ['account.credited']);
    const notSubscribed = await h.newEndpoint(tenant, debitsOnly.url, ['account.debited']);
    const foreign = await h.newEndpoint(other, otherTenants.url, ['account.credited']);

    const events = await h.publishCredits(tenant, 3);

    const got = await receiver.waitFor(credits.path, 3);
    const verifier = new Webhook(subscribed.secret);
    const bodies = got.map((r) => verifier.verify(r.body, r.headers as Record<string, string>));
    expect(bodies).toEqual(
      expect.arrayContaining(
        events.map((e) => ({ id: e.id, type: e.type, created_at: e.occurred_at, data: e.payload })),
      ),
    );
    expect(got.map((r) => r.headers['webhook-id']).sort()).toEqual(events.map((e) => e.id).sort());
    expect(got.every((r) => r.headers['content-type'] === 'application/json')).toBe(true);
    // Messages are created in one transaction per batch: none exist for the others.
    expect(await messageStatus(notSubscribed.id)).toEqual([]);
    expect(await messageStatus(foreign.id)).toEqual([]);
    expect(
      await eventually(async () => (await messageStatus(subscribed.id)).every((s) => s === 'delivered')),
    ).toBe(true);
  });

  it('sends every endpoint subscribed to an event that event, each body under its own webhook-id', async () => {
    const tenant = await h.newTenant();
    const targets = [receiver.endpoint(), receiver.endpoint()];
    for (const t of targets) await h.newEndpoint(tenant, t.url);

    const events = await h.publishCredits(tenant, 5);

    for (const t of targets) {
      const got = await receiver.waitFor(t.path, 5);
      const bodies = got.map((r) => JSON.parse(r.body) as { id: string });
      expect(bodies.map((b) => b.id)).toEqual(got.map((r) => r.headers['webhook-id']));
      expect(bodies.map((b) => b.id).sort()).toEqual(events.map((e) => e.id).sort());
    }
  });

  it('sends nothing again when Kafka redelivers events it has already fanned out', async () => {
    const tenant = await h.newTenant();
    const target = receiver.endpoint();
    await h.newEndpoint(tenant, target.url);
    const events = await h.publishCredits(tenant, 2);
    await receiver.waitFor(target.path, 2);

    await h.redeliver(events);
    const marker = await h.publishCredits(tenant, 1);
    const got = await receiver.waitFor(target.path, 3);

    expect(got.map((r) => r.headers['webhook-id'])).toEqual(
      expect.arrayContaining([...events, ...marker].map((e) => e.id)),
    );
    expect(receiver.requests(target.path)).toHaveLength(3);
  });

  it('retries after 500s on the schedule (100 ms, then 200 ms, ±20 %) until a 2xx, with the same webhook-id', async () => {
    const tenant = await h.newTenant();
    const target = receiver.endpoint((_r, nth) =>
      nth <= 2 ? { status: 500, body: 'boom' } : { status: 200 },
    );
    const endpoint = await h.newEndpoint(tenant, target.url);
    const [event] = await h.publishCredits(tenant, 1);

    const [first, second, third] = await receiver.waitFor(target.path, 3);

    expect(second!.at - first!.at).toBeGreaterThanOrEqual(80);
    expect(second!.at - first!.at).toBeLessThan(1_000);
    expect(third!.at - second!.at).toBeGreaterThanOrEqual(160);
    expect(third!.at - second!.at).toBeLessThan(1_000);
    expect(new Set([first, second, third].map((r) => r!.headers['webhook-id']))).toEqual(
      new Set([event!.id]),
    );
    const attempts = await eventually(async () => {
      const rows = await attemptsOf(h.pool, endpoint.id);
      return rows.length === 3 && rows[2]!.status === 'succeeded' ? rows : undefined;
    });
    expect(attempts.map((a) => [a.status, a.response_status, a.schedule_index])).toEqual([
      ['failed', 500, 0],
      ['failed', 500, 1],
      ['succeeded', 200, 2],
    ]);
    expect(await eventually(async () => (await messageStatus(endpoint.id))[0] === 'delivered')).toBe(true);
  });

  it('retries after a timeout, the next attempt following the timeout by the scheduled delay', async () => {
    const tenant = await h.newTenant();
    const target = receiver.endpoint((_r, nth) => (nth === 1 ? 'hang' : { status: 204 }));
    const endpoint = await h.newEndpoint(tenant, target.url);
    await h.publishCredits(tenant, 1);

    const [first, second] = await receiver.waitFor(target.path, 2);

    // 500 ms timeout, then 100 ms ±20 %.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(500 + 80);
    expect(second!.at - first!.at).toBeLessThan(2_000);
    const attempts = await eventually(async () => {
      const rows = await attemptsOf(h.pool, endpoint.id);
      return rows[1]?.status === 'succeeded' ? rows : undefined;
    });
    expect(attempts[0]).toMatchObject({
      status: 'failed',
      response_status: null,
      error: 'timeout after 500 ms',
    });
  });

  it('honours Retry-After: waits as long as the receiver asks rather than the 100 ms scheduled', async () => {
    const tenant = await h.newTenant();
    const target = receiver.endpoint((_r, nth) =>
      nth === 1 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 204 },
    );
    await h.newEndpoint(tenant, target.url);
    await h.publishCredits(tenant, 1);

    const [first, second] = await receiver.waitFor(target.path, 2, 5_000);

    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1_000);
    expect(second!.at - first!.at).toBeLessThan(2_500);
  });

  it('gives up after the last attempt of the schedule: the message is failed', async () => {
    const tenant = await h.newTenant();
    const target = receiver.endpoint(() => ({ status: 500 }));
    const endpoint = await h.newEndpoint(tenant, target.url);
    await h.publishCredits(tenant, 1);

    await receiver.waitFor(target.path, 3);

    expect(await eventually(async () => (await messageStatus(endpoint.id))[0] === 'failed')).toBe(true);
    expect((await attemptsOf(h.pool, endpoint.id)).map((a) => a.status)).toEqual([
      'failed',
      'failed',
      'failed',
    ]);
    const { rows } = await h.pool.query('SELECT status, failing_since FROM webhook_endpoints WHERE id = $1', [
      endpoint.id,
    ]);
    expect(rows[0]).toMatchObject({ status: 'enabled', failing_since: expect.any(Date) });
  });

  it('410 Gone disables the endpoint at once and later events are not delivered to it', async () => {
    const tenant = await h.newTenant();
    const gone = receiver.endpoint(() => ({ status: 410 }));
    const alive = receiver.endpoint();
    const endpoint = await h.newEndpoint(tenant, gone.url);
    await h.newEndpoint(tenant, alive.url);
    await h.publishCredits(tenant, 1);
    await receiver.waitFor(gone.path, 1);

    const disabled = await eventually(async () => {
      const { rows } = await h.pool.query(
        'SELECT status, disabled_reason FROM webhook_endpoints WHERE id = $1',
        [endpoint.id],
      );
      return rows[0].status === 'disabled' ? rows[0] : undefined;
    });
    expect(disabled).toEqual({ status: 'disabled', disabled_reason: 'gone' });
    await h.publishCredits(tenant, 1);
    await receiver.waitFor(alive.path, 2);

    expect(receiver.requests(gone.path)).toHaveLength(1);
    expect(await messageStatus(endpoint.id)).toEqual(['failed']);
  });

  it('refuses to connect to a non-public address that is not allowlisted, and records why', async () => {
    const tenant = await h.newTenant();
    const endpoint = await h.newEndpoint(tenant, `http://[::1]:${receiver.port}/ssrf`);
    await h.publishCredits(tenant, 1);

    const attempts = await eventually(async () => {
      const rows = await attemptsOf(h.pool, endpoint.id);
      return rows[0]?.status === 'failed' ? rows : undefined;
    });
    expect(attempts[0]!.error).toMatch(/::1 .*not a public address and not allowlisted/);
    expect(receiver.requests('/ssrf')).toHaveLength(0);
  });
});
