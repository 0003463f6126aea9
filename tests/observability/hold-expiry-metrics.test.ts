import { claimDueHolds } from '../../processor/src/data-access/holds';
import { fundedAccount, idem, newTenant, settled, type Client } from '../support/client';
import { eventually } from '../support/eventually';
import { collect } from '../support/kafka-messages';
import { scrape, total } from '../support/prometheus-text';
import { startSystem, type System } from '../support/system';

const PUBLISHED = 'ledger_hold_expiry_commands_published_total';

/** A withdrawal hold of 10 that expires at `expires_at`; its id once the processor has reserved it. */
async function held(api: Client, from: string, expires_at: string): Promise<string> {
  const res = await api.post(
    '/v1/transfers',
    {
      kind: 'withdrawal',
      source_account_id: from,
      amount: 10,
      currency: 'USD',
      capture: 'manual',
      expires_at,
    },
    idem(),
  );
  expect((await settled(api, res.body.id)).status).toBe('held');
  return res.body.id;
}

/**
 * The hold expiry sweeper's publications on the processor's /metrics: a first ask and one asked
 * again (the first command lost or late) apart. Every processor sharing the database sweeps every
 * due hold, so the counts are held against what this processor's own commands topic carries.
 */
describe('the hold expiry sweeper, counted', () => {
  let system: System;
  let api: Client;
  let from: string;
  beforeAll(async () => {
    // Sweeps every 10 ms: the due holds of this file are almost always this processor's to publish.
    system = await startSystem({ HOLD_EXPIRY_INTERVAL_MS: '10', HOLD_EXPIRY_AGAIN_AFTER_MS: '60000' });
    ({ api } = await newTenant(system.url));
    from = await fundedAccount(api, 'USD', 1_000);
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('tells, in one claim, a hold asked for the first time from one asked again', async () => {
    const later = new Date(Date.now() + 86_400_000).toISOString();
    const [fresh, asked] = [await held(api, from, later), await held(api, from, later)];
    // Made due inside a transaction of this test's alone (no other sweeper sees them), claimed
    // there, and rolled back: the holds stay as they were.
    const client = await system.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `UPDATE transfers SET expires_at = created_at + interval '1 millisecond',
                expiry_requested_at = CASE WHEN id = $2 THEN now() - interval '1 hour' END
          WHERE id = ANY($1::uuid[])`,
        [[fresh, asked], asked],
      );
      const claimed = (await claimDueHolds(client, 60_000, 1_000)).filter((h) =>
        [fresh, asked].includes(h.id),
      );
      expect(claimed.map((h) => [h.id, h.again]).sort()).toEqual(
        [
          [fresh, false],
          [asked, true],
        ].sort(),
      );
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('counts each expiry command it published, first asks and asked again apart', async () => {
    const commands = await collect(system.kafka, system.topics.commands);
    try {
      const soon = new Date(Date.now() + 1_500).toISOString();
      const [fresh, asked] = [await held(api, from, soon), await held(api, from, soon)];
      // As if a sweeper had claimed it an hour ago and its command had been lost.
      await system.pool.query(
        `UPDATE transfers SET expiry_requested_at = now() - interval '1 hour' WHERE id = $1`,
        [asked],
      );
      await eventually(
        async () =>
          (
            await system.pool.query(
              `SELECT 1 FROM transfers WHERE id = ANY($1::uuid[]) AND status = 'expired'`,
              [[fresh, asked]],
            )
          ).rowCount === 2,
        20_000,
        50,
        'holds expired',
      );
      const expiries = () =>
        commands.messages
          .map((m) => JSON.parse(m.value!.toString()) as { type: string; payload: { hold_id?: string } })
          .filter((c) => c.type === 'transfer.expire');
      await eventually(async () => {
        const metrics = await scrape(system.processorOpsUrl());
        return total(metrics, PUBLISHED) === expiries().length;
      });
      const metrics = await scrape(system.processorOpsUrl());
      const mine = (id: string) => expiries().filter((c) => c.payload.hold_id === id).length;
      expect(expiries().length).toBeGreaterThan(0);
      expect(total(metrics, PUBLISHED, { attempt: 'first' })).toBeGreaterThanOrEqual(mine(fresh));
      expect(total(metrics, PUBLISHED, { attempt: 'again' })).toBeGreaterThanOrEqual(mine(asked));
    } finally {
      await commands.stop();
    }
  });
});
