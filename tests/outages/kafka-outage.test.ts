import { client, fundedAccount, idem, newTenant, settled } from '../support/client';
import { startSystem, type System } from '../support/system';
import { startTcpProxy } from '../support/tcp-proxy';
import { createLogger } from '../../platform/logger';
import { loadApiConfig } from '../../api/src/config';
import { startApi } from '../../api/src/start-api';

const logger = createLogger({ service: 'test', level: process.env.LOG_LEVEL ?? 'silent', pretty: false });

// A submission whose pending row committed is a promise kept by PostgreSQL: when Kafka does not
// answer, the client still gets its 202 within PUBLISH_TIMEOUT_MS, and the command is published
// as soon as the broker is reachable again (the sweeper notices the return, not a 30 s age).
describe('when Kafka is unreachable', () => {
  let system: System;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  beforeAll(async () => {
    // The processor (and the accounts' deposits) on the real broker... Its API's sweeper must not
    // publish the isolated API's rows: after a slow first publish (new topics, a loaded machine)
    // it catches up on rows older than its publish timeout, which would take these within seconds.
    system = await startSystem({ PUBLISH_TIMEOUT_MS: '30000' });
    const [host, port] = system.brokers[0]!.split(':');
    proxy = await startTcpProxy({ host: host!, port: Number(port) });
  });
  afterAll(async () => {
    proxy.restore();
    await api?.stop();
    await system.stop();
    await proxy.close();
  });

  it('accepts within the publish timeout and publishes once the broker is back', async () => {
    const tenant = await newTenant(system.url);
    const from = await fundedAccount(tenant.api, 'USD', 1_000);
    const to = await fundedAccount(tenant.api, 'USD', 0);

    // ...and a second API whose only way to Kafka is a proxy that refuses every connection.
    proxy.cut();
    const started = Date.now();
    api = await startApi(
      loadApiConfig({
        ...process.env,
        KAFKA_TOPIC_PREFIX: system.prefix,
        KAFKA_BROKERS: `127.0.0.1:${proxy.port}`,
        API_PORT: '0',
        PUBLISH_TIMEOUT_MS: '1000',
        SWEEP_AGE_MS: '600000', // only the recovery may publish these in time
        RATE_LIMIT_KEY_PER_SECOND: '100000',
      }),
      logger,
    );
    expect(Date.now() - started).toBeLessThan(5_000); // it starts although Kafka is down
    const isolated = client(api.url, tenant.key);

    const submitted: string[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const res = await isolated.post(
        '/v1/transfers',
        { source_account_id: from, destination_account_id: to, amount: 10, currency: 'USD' },
        idem(),
      );
      expect(res.status).toBe(202);
      expect(Date.now() - t0).toBeLessThan(2_500);
      submitted.push(res.body.id);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (const id of submitted)
      expect((await tenant.api.get(`/v1/transfers/${id}`)).body.status).toBe('pending');

    proxy.restore();
    for (const id of submitted) expect((await settled(tenant.api, id)).status).toBe('committed');
    expect((await tenant.api.get(`/v1/accounts/${to}`)).body.balance).toBe('30');
  });
});
