import { randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import { insertPendingTransfers } from '../../api/src/data-access/transfers';
import { createPendingSweeper } from '../../api/src/entry-points/pending-sweeper';
import type { TransferCommandPayloadV1 } from '../../contracts/src';
import { requestFingerprint } from '../../domain/fingerprint';
import { newId } from '../../platform/ids';
import { createLogger } from '../../platform/logger';
import { fundedAccount, newTenant } from '../support/client';
import { eventually } from '../support/eventually';
import { startSystem, type System } from '../support/system';

const RECOVERY_AGE_MS = 500;

// While Kafka is down the sweeper probes it with the pending rows that gave up on it; a probe
// that fails has claimed its rows, which are then held back for RECOVERY_AGE_MS. When Kafka
// returns, those rows must go out at once, not when they are SWEEP_AGE_MS old (the fault suite
// saw a broker restart followed by 30 s of silence: the catch-up ended at its first empty sweep).
describe('the pending sweeper when Kafka comes back', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system.stop();
  });

  it('publishes a row a failed probe had just claimed soon after the return', async () => {
    const tenant = await newTenant(system.url);
    const from = await fundedAccount(tenant.api, 'USD', 100);
    const to = await fundedAccount(tenant.api, 'USD', 0);
    const id = newId();
    const idempotencyKey = randomUUID();
    const fields = {
      kind: 'transfer' as const,
      sourceAccountId: from,
      destinationAccountId: to,
      amount: 10n,
      currency: 'USD',
      description: null,
      metadata: null,
    };
    const command: TransferCommandPayloadV1 = {
      transfer_id: id,
      tenant_id: tenant.id,
      idempotency_key: idempotencyKey,
      kind: 'transfer',
      source_account_id: from,
      destination_account_id: to,
      amount: '10',
      currency: 'USD',
    };
    await insertPendingTransfers(system.pool, [
      {
        ...fields,
        id,
        tenantId: tenant.id,
        idempotencyKey,
        requestHash: requestFingerprint(fields),
        expiresAt: null,
        holdId: null,
        command,
      },
    ]);
    // Old enough to be swept, and claimed a moment ago by a probe that failed.
    await system.pool.query(
      `UPDATE transfers SET created_at = now() - interval '5 seconds', republished_at = now() WHERE id = $1`,
      [id],
    );

    // Kafka, as the sweeper sees it: unavailable until a probe gets through (the first one does).
    const published: string[] = [];
    const recovered: Array<() => void> = [];
    let available = false;
    const publisher = {
      get available() {
        return available;
      },
      onRecovered: (listener: () => void) => void recovered.push(listener),
      async probe(messages: Message[]) {
        for (const m of messages) published.push(JSON.parse(String(m.value)).payload.transfer_id);
        if (available) return;
        available = true;
        for (const listener of recovered) listener();
      },
    };
    const sweeper = createPendingSweeper({
      pool: system.pool,
      publisher,
      logger: createLogger({ service: 'test', level: 'silent', pretty: false }),
      interval_ms: 60_000,
      age_ms: 600_000,
      recoveryAge_ms: RECOVERY_AGE_MS,
    });
    sweeper.start();
    try {
      await eventually(() => published.includes(id), 4_000, 50, 'the claimed row published after the return');
    } finally {
      await sweeper.stop();
    }
  });
});
