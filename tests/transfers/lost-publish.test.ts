import { randomUUID } from 'node:crypto';
import { insertPendingTransfers } from '../../api/src/data-access/transfers';
import type { TransferCommandPayloadV1 } from '../../contracts/src';
import { holdActionFingerprint, requestFingerprint } from '../../domain/fingerprint';
import { newId } from '../../platform/ids';
import { fundedAccount, idem, newTenant, settled } from '../support/client';
import { eventually } from '../support/eventually';
import { startSystem, type System } from '../support/system';

const SWEEP_AGE_MS = 1_000;
const SWEEP_INTERVAL_MS = 200;

// A 202 is a promise: the pending row is written before the command is published, and a
// command that never reached Kafka (the broker down, the API killed between the two) is
// published again by the API's sweeper once the row is older than SWEEP_AGE_MS.
describe('a transfer accepted but never published', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem({
      SWEEP_AGE_MS: String(SWEEP_AGE_MS),
      SWEEP_INTERVAL_MS: String(SWEEP_INTERVAL_MS),
    });
  });
  afterAll(async () => {
    await system.stop();
  });

  /** What the API writes on acceptance, without the publish that follows it; returns the transfer id. */
  async function acceptWithoutPublishing(tenantId: string, from: string, to: string, amount: bigint) {
    const id = newId();
    const idempotencyKey = randomUUID();
    const command: TransferCommandPayloadV1 = {
      transfer_id: id,
      tenant_id: tenantId,
      idempotency_key: idempotencyKey,
      kind: 'transfer',
      source_account_id: from,
      destination_account_id: to,
      amount: amount.toString(),
      currency: 'USD',
    };
    const [accepted] = await insertPendingTransfers(system.pool, [
      {
        id,
        tenantId,
        idempotencyKey,
        requestHash: requestFingerprint({
          kind: 'transfer',
          sourceAccountId: from,
          destinationAccountId: to,
          amount,
          currency: 'USD',
          description: null,
          metadata: null,
        }),
        kind: 'transfer',
        sourceAccountId: from,
        destinationAccountId: to,
        amount,
        currency: 'USD',
        description: null,
        metadata: null,
        expiresAt: null,
        holdId: null,
        command,
      },
    ]);
    expect(accepted).toMatchObject({ inserted: true });
    return id;
  }

  const republishedAt = async (id: string) =>
    (
      await system.pool.query<{ republished_at: Date | null }>(
        'SELECT republished_at FROM transfers WHERE id = $1',
        [id],
      )
    ).rows[0]!.republished_at;

  it('is published again by the sweeper and committed exactly once', async () => {
    const tenant = await newTenant(system.url);
    const from = await fundedAccount(tenant.api, 'USD', 1_000);
    const to = await fundedAccount(tenant.api, 'USD', 0);

    const id = await acceptWithoutPublishing(tenant.id, from, to, 250n);
    expect((await tenant.api.get(`/v1/transfers/${id}`)).body.status).toBe('pending');

    expect((await settled(tenant.api, id)).status).toBe('committed');
    expect((await republishedAt(id)) !== null).toBe(true);
    // Sweeps after the commit publish nothing more: the balances moved once. A sweep that began
    // after the commit is seen by a sentinel accepted after it (another lost publish, from the
    // same account, too large to move any money); sweeps run one after another, so every earlier
    // sweep's publish was over by then, and commands of one account share a partition, so every
    // copy published before the sentinel was processed before it.
    const sentinel = await acceptWithoutPublishing(tenant.id, from, to, 1_000_000n);
    const rejected = await eventually(
      async () => {
        const body = (await tenant.api.get(`/v1/transfers/${sentinel}`)).body;
        return body.status === 'rejected' && body;
      },
      20_000,
      50,
      'the sentinel swept and rejected',
    );
    expect(rejected.reason.code).toBe('insufficient_funds');
    expect((await tenant.api.get(`/v1/accounts/${from}`)).body.balance).toBe('750');
    expect((await tenant.api.get(`/v1/accounts/${to}`)).body.balance).toBe('250');
  });

  it("publishes a lost capture again as a capture, on the hold's partition, and captures once", async () => {
    const tenant = await newTenant(system.url);
    const from = await fundedAccount(tenant.api, 'USD', 1_000);
    const hold = await tenant.api.post(
      '/v1/transfers',
      { kind: 'withdrawal', source_account_id: from, amount: 400, currency: 'USD', capture: 'manual' },
      idem(),
    );
    expect((await settled(tenant.api, hold.body.id)).status).toBe('held');

    // What the API writes on accepting a capture, without the publish that follows it.
    const id = newId();
    const idempotencyKey = randomUUID();
    const [accepted] = await insertPendingTransfers(system.pool, [
      {
        id,
        tenantId: tenant.id,
        idempotencyKey,
        requestHash: holdActionFingerprint('capture', hold.body.id, 150n),
        kind: 'capture',
        sourceAccountId: from,
        destinationAccountId: null,
        amount: 150n,
        currency: 'USD',
        description: null,
        metadata: null,
        expiresAt: null,
        holdId: hold.body.id,
        command: {
          transfer_id: id,
          tenant_id: tenant.id,
          idempotency_key: idempotencyKey,
          hold_id: hold.body.id,
          amount: '150',
        },
      },
    ]);
    expect(accepted).toMatchObject({ inserted: true });

    expect(await settled(tenant.api, id)).toMatchObject({ kind: 'capture', status: 'committed' });
    expect((await tenant.api.get(`/v1/transfers/${hold.body.id}`)).body).toMatchObject({
      status: 'captured',
      hold: { captured_amount: '150', released_amount: '250', resolved_by: id },
    });
    expect((await tenant.api.get(`/v1/accounts/${from}`)).body).toMatchObject({ balance: '850', held: '0' });
  });
});
