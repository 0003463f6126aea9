import { randomUUID } from 'node:crypto';
import { createLogger } from '../../platform/logger';
import { createPool, type Pool } from '../../platform/postgres';
import { parseCommand } from '../../processor/src/domain/parse-command';
import { createProcessorCache, processCommands } from '../../processor/src/use-cases/process-commands';
import { fundedAccount, newTenant } from '../support/client';
import { eventually } from '../support/eventually';
import { collect, commandJson } from '../support/kafka-messages';
import { startSystem, type System } from '../support/system';
import { startTcpProxy } from '../support/tcp-proxy';

const PG_TCP = { host: '127.0.0.1', port: Number(process.env.LEDGER_PG_PORT ?? 15432) };
/** Far longer than the test: an event relayed before it was heard of, not polled for. */
const POLL_INTERVAL_MS = 60_000;

// The outbox relay hears of other processors' commits through LISTEN on a connection it holds;
// its own commits wake it directly, and a poll (200 ms by default) finds anything else late. A
// relay that lost its LISTEN connection in an outage and never listened again would go unnoticed
// behind that poll: here the poll is a minute, and the commit is another processor's.
describe('the outbox relay after PostgreSQL went away and came back', () => {
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let system: System;
  let direct: Pool;
  beforeAll(async () => {
    proxy = await startTcpProxy(PG_TCP);
    const db = new URL(process.env.DATABASE_URL!).pathname;
    system = await startSystem({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}${db}`,
      OUTBOX_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
    });
    direct = createPool({ url: process.env.DATABASE_URL!, max: 2, applicationName: 'test-other-processor' });
  });
  afterAll(async () => {
    proxy.restore();
    await system.stop();
    await direct.end();
    await proxy.close();
  });

  it("listens again: another processor's commit reaches Kafka at once, not at the next poll", async () => {
    const { id: tenantId, api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 100);
    const to = await fundedAccount(api, 'USD', 0);
    const events = await collect(system.kafka, system.topics.events);
    try {
      // Every connection dropped, the relay's LISTEN connection among them, until the processor
      // has seen the outage (its readiness probe has its own connections through the proxy).
      proxy.cut();
      await eventually(
        async () => (await fetch(`${system.processorOpsUrl()}/readyz`)).status === 503,
        10_000,
        50,
        'the processor sees the outage',
      );
      proxy.restore();
      await eventually(
        async () => (await fetch(`${system.processorOpsUrl()}/readyz`)).status === 200,
        15_000,
        50,
        'the processor sees PostgreSQL again',
      );

      // Another processor (the same use case, on a pool of its own) commits a transfer: only
      // its NOTIFY can tell this relay, whose own consumer never sees the command.
      const transferId = randomUUID();
      const command = parseCommand(
        Buffer.from(
          commandJson({
            transfer_id: transferId,
            tenant_id: tenantId,
            idempotency_key: randomUUID(),
            source_account_id: from,
            destination_account_id: to,
            amount: '7',
            currency: 'USD',
          }),
        ),
      );
      const report = await processCommands(
        {
          pool: direct,
          logger: createLogger({ service: 'test', level: 'silent', pretty: false }),
          eventsTopic: system.topics.events,
          cache: createProcessorCache({ accountsMax: 100, tenantsMax: 10 }),
        },
        [command],
      );
      expect(report.committed).toBe(1);
      const committedAt = Date.now();

      await events.until((all) => all.some((m) => m.value?.toString().includes(transferId)), 20_000);
      // Heard (LISTEN) at once, or found as the relay reconnects (its backoff is 5.2 s at most);
      // never the minute's poll. Before: the relay slept out its poll on a dead connection, deaf
      // to every NOTIFY.
      expect(Date.now() - committedAt).toBeLessThan(10_000);
    } finally {
      await events.stop();
    }
  });
});
