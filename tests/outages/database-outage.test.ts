import { randomUUID } from 'node:crypto';
import { client, fundedAccount, idem, newTenant, settled } from '../support/client';
import { startSystem, type System } from '../support/system';
import { postgresTcp } from '../support/service-env';
import { startTcpProxy } from '../support/tcp-proxy';

/** The test database over TCP through a proxy this test can cut (PostgreSQL itself keeps running). */
function throughProxy(databaseUrl: string, port: number): string {
  const db = new URL(databaseUrl).pathname;
  return `postgres://postgres@127.0.0.1:${port}${db}`;
}

// PostgreSQL going away (a restart, a failover, a network cut) is an ordinary event: the API
// answers 503 with Retry-After meanwhile, nothing ends the process, and everything works again
// once the database is back, without a restart.
describe('when PostgreSQL becomes unreachable and comes back', () => {
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let system: System;
  beforeAll(async () => {
    proxy = await startTcpProxy(postgresTcp());
    system = await startSystem({
      DATABASE_URL: throughProxy(process.env.DATABASE_URL!, proxy.port),
      API_DB_CONNECT_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    proxy.restore();
    await system.stop();
    await proxy.close();
  });

  it('answers 503 with Retry-After meanwhile, survives, and commits again once it returns', async () => {
    const tenant = await newTenant(system.url);
    const from = await fundedAccount(tenant.api, 'USD', 1_000);
    const to = await fundedAccount(tenant.api, 'USD', 0);

    // Every pooled connection breaks at once, as on `pg_ctl stop -m immediate`: node-postgres
    // emits the error on idle clients and on the ones held (the outbox relay's LISTEN).
    proxy.cut();
    const started = Date.now();
    const during = await tenant.api.get(`/v1/accounts/${from}`);
    expect(during.status).toBe(503);
    expect(during.body.error).toMatchObject({ code: 'service_unavailable', request_id: expect.any(String) });
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(3_000);
    const submit = await tenant.api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 100, currency: 'USD' },
      idem(),
    );
    expect(submit.status).toBe(503);
    // Public routes too.
    const signUp = await client(system.url).post('/v1/tenants', {
      name: 'B',
      email: `${randomUUID()}@example.com`,
    });
    expect(signUp.status).toBe(503);

    proxy.restore();
    const key = idem();
    let accepted = await tenant.api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 100, currency: 'USD' },
      key,
    );
    // The first requests after the return may still meet a connection broken by the cut.
    for (let i = 0; accepted.status === 503 && i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      accepted = await tenant.api.post(
        '/v1/transfers',
        { source_account_id: from, destination_account_id: to, amount: 100, currency: 'USD' },
        key,
      );
    }
    expect(accepted.status).toBe(202);
    expect((await settled(tenant.api, accepted.body.id)).status).toBe('committed');
    expect((await tenant.api.get(`/v1/accounts/${to}`)).body.balance).toBe('100');
  });
});
