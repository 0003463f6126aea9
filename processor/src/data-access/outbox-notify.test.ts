import { randomUUID } from 'node:crypto';
import type { LedgerEventV1 } from '../../../contracts/src';
import { createPool, type Pool } from '../../../platform/postgres';
import { eventually } from '../../../tests/support/eventually';
import { OUTBOX_CHANNEL } from '../domain/outbox-lines';
import { insertOutbox } from './ledger-store';

// Runs against the real test database (tests/support/global-setup.ts sets DATABASE_URL).
describe('the outbox row of a batch', () => {
  let pool: Pool;
  beforeAll(() => {
    pool = createPool({ url: process.env.DATABASE_URL!, max: 3, applicationName: 'test-outbox' });
  });
  afterAll(async () => {
    await pool.end();
  });

  const event = { id: randomUUID(), type: 'account.credited' } as unknown as LedgerEventV1;

  // The row itself is removed before the end: a running relay must never see this test's topic.
  async function writeBatch(outcome: 'COMMIT' | 'ROLLBACK', topic: string) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await insertOutbox(client, topic, [{ key: 'k', event }], new Date());
      await client.query('DELETE FROM outbox_batches WHERE topic = $1', [topic]);
      await client.query(outcome);
    } finally {
      client.release();
    }
  }

  it('wakes the relay when its transaction commits, and not when it rolls back', async () => {
    const listener = await pool.connect();
    // Other test files' processors commit too: only this test's topic is counted.
    const topic = `test-outbox-${randomUUID()}`;
    const heard: string[] = [];
    listener.on('notification', (n) => n.payload === topic && heard.push(n.channel));
    await listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
    try {
      await writeBatch('ROLLBACK', topic);
      await listener.query('SELECT 1'); // a round trip, so a notification would have arrived
      expect(heard).toEqual([]);

      await writeBatch('COMMIT', topic);
      await eventually(() => heard.length > 0, 5_000, 20, 'the notification of the commit');
      expect(heard).toEqual([OUTBOX_CHANNEL]);
    } finally {
      await listener.query(`UNLISTEN ${OUTBOX_CHANNEL}`);
      listener.release();
    }
  });
});
