import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { LedgerEventV1 } from '../../contracts/src';
import { insertEndpoint } from '../../api/src/data-access/webhook-endpoints';
import { newId } from '../../platform/ids';
import {
  createOrderedProducer,
  createKafka,
  deleteTopics,
  ensureTopics,
  topicsFor,
} from '../../platform/kafka';
import { createLogger } from '../../platform/logger';
import { migrate } from '../../platform/migrate';
import { createPool, type Pool } from '../../platform/postgres';
import { encryptSecret, generateSecret } from '../../domain/secret-box';
import {
  loadWebhookDispatcherConfig,
  type WebhookDispatcherConfig,
} from '../../webhook-dispatcher/src/config';
import { createDispatcher, type Dispatcher } from '../../webhook-dispatcher/src/create-dispatcher';
import { insertMessages } from '../../webhook-dispatcher/src/data-access/messages';
import {
  LOCAL_WEBHOOKS_ENV,
  testDatabaseUrl,
  testKafkaBrokers,
  testServiceEnv,
} from '../support/service-env';

export const logger = createLogger({
  service: 'test',
  level: process.env.LOG_LEVEL ?? 'silent',
  pretty: false,
});
export const DATABASE_URL = testDatabaseUrl();
export const KAFKA_BROKERS = testKafkaBrokers();
const SECRETS_KEY = Buffer.from('dev-only-webhook-secrets-key-32b');

/** Dispatcher settings for tests: http to 127.0.0.1 allowed, a compressed retry schedule. */
export function dispatcherConfig(
  prefix: string,
  overrides: Record<string, string> = {},
): WebhookDispatcherConfig {
  return loadWebhookDispatcherConfig({
    ...process.env,
    DATABASE_URL,
    KAFKA_BROKERS,
    ...testServiceEnv(prefix),
    ...LOCAL_WEBHOOKS_ENV,
    WEBHOOK_RETRY_SCHEDULE_MS: '0,100,200',
    WEBHOOK_POLL_INTERVAL_MS: '50',
    WEBHOOK_TIMEOUT_MS: '2000',
    WEBHOOK_LEASE_MS: '3000',
    ...overrides,
  });
}

/**
 * What a webhook test file needs: a migrated database, a topic prefix of its own, a producer of
 * ledger events to that prefix, tenants and endpoints written the way the API writes them.
 */
export async function startHarness() {
  const prefix = `wh-${randomUUID().slice(0, 8)}.`;
  const pool = createPool({ url: DATABASE_URL, max: 4, applicationName: 'webhook-tests' });
  await migrate(pool, logger);
  const kafka = createKafka({ brokers: KAFKA_BROKERS.split(','), clientId: 'webhook-tests', logger });
  const topics = topicsFor(prefix);
  await ensureTopics(kafka, topics);
  const producer: Producer = createOrderedProducer(kafka);
  await producer.connect();
  const dispatchers = new Set<Dispatcher>();

  return {
    prefix,
    pool,
    topics,
    async startDispatcher(overrides: Record<string, string> = {}): Promise<Dispatcher> {
      const dispatcher = createDispatcher(dispatcherConfig(prefix, overrides), logger);
      dispatchers.add(dispatcher);
      await dispatcher.start();
      return dispatcher;
    },
    async stopDispatcher(dispatcher: Dispatcher): Promise<void> {
      dispatchers.delete(dispatcher);
      await dispatcher.stop();
    },
    async newTenant(): Promise<string> {
      const id = randomUUID();
      await pool.query('INSERT INTO tenants (id, name, email) VALUES ($1, $2, $3)', [
        id,
        'webhook test',
        `${id}@example.com`,
      ]);
      return id;
    },
    /** An endpoint as the API creates it; returns its id and its secret. */
    async newEndpoint(tenantId: string, url: string, eventTypes: string[] = ['account.credited']) {
      const id = newId();
      const secret = generateSecret();
      await insertEndpoint(
        pool,
        {
          id,
          tenantId,
          url,
          description: '',
          eventTypes,
          secretEncrypted: encryptSecret(SECRETS_KEY, id, secret),
        },
        1_000,
      );
      return { id, secret };
    },
    /**
     * An endpoint of a new tenant with `count` attempts due now under `sourceTopic` (written as
     * fan-out writes them, in one statement: one due time), for tests of the claim and the loop.
     */
    async endpointWithDueAttempts(sourceTopic: string, count: number): Promise<string> {
      const endpoint = await this.newEndpoint(await this.newTenant(), 'http://127.0.0.1:9/never');
      const client = await pool.connect();
      try {
        await insertMessages(
          client,
          Array.from({ length: count }, () => ({
            id: newId(),
            endpointId: endpoint.id,
            eventId: newId(),
            eventType: 'account.credited',
            body: '{}',
          })),
          { sourceTopic, firstDelay_ms: 0 },
        );
      } finally {
        client.release();
      }
      return endpoint.id;
    },
    /** Publishes account.credited events for the tenant, keyed by account; returns them. */
    async publishCredits(
      tenantId: string,
      count: number,
      accountId = randomUUID(),
    ): Promise<LedgerEventV1[]> {
      const events: LedgerEventV1[] = Array.from({ length: count }, (_, i) => ({
        id: newId(),
        type: 'account.credited',
        version: 1,
        occurred_at: new Date().toISOString(),
        tenant_id: tenantId,
        payload: {
          account_id: accountId,
          transfer_id: randomUUID(),
          entry_id: String(i + 1),
          amount: '100',
          currency: 'USD',
          balance_after: String(100 * (i + 1)),
        },
      }));
      await producer.send({
        topic: topics.events,
        acks: -1,
        messages: events.map((e) => ({
          key: accountId,
          value: JSON.stringify(e),
          headers: { 'event-type': e.type, 'event-id': e.id },
        })),
      });
      return events;
    },
    /** Publishes these events again, as Kafka does after a rebalance or a producer retry. */
    async redeliver(events: LedgerEventV1[]): Promise<void> {
      await producer.send({
        topic: topics.events,
        acks: -1,
        messages: events.map((e) => ({
          key: (e.payload as { account_id: string }).account_id,
          value: JSON.stringify(e),
        })),
      });
    },
    async stop(): Promise<void> {
      for (const d of dispatchers) await d.stop();
      await producer.disconnect();
      await pool.end();
      await deleteTopics(kafka, topics);
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

/** Attempts of an endpoint's messages, oldest first. */
export async function attemptsOf(pool: Pool, endpointId: string) {
  const { rows } = await pool.query<{
    message_id: string;
    status: string;
    trigger: string;
    schedule_index: number;
    response_status: number | null;
    error: string | null;
    lease_token: string | null;
  }>(
    `SELECT message_id, status, trigger, schedule_index, response_status, error, lease_token::text
       FROM webhook_attempts WHERE endpoint_id = $1 ORDER BY id`,
    [endpointId],
  );
  return rows;
}
