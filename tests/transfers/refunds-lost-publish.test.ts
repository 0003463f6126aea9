import { randomUUID } from 'node:crypto';
import { insertPendingTransfers } from '../../api/src/data-access/transfers';
import { refundFingerprint } from '../../domain/refunds';
import { newId } from '../../platform/ids';
import { fundedAccount, idem, newTenant, settled } from '../support/client';
import { startSystem, type System } from '../support/system';

// A refund's 202 is the same promise as a transfer's: a refund accepted but never published is
// published again by the API's sweeper, as a refund, on the partition of the account it debits.
describe('a refund accepted but never published', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem({ SWEEP_AGE_MS: '1000', SWEEP_INTERVAL_MS: '200' });
  });
  afterAll(async () => {
    await system.stop();
  });

  it('is refunded once, for what remains when the processor decides it (not what remained at acceptance)', async () => {
    const payer = await newTenant(system.url, 'Payer');
    const merchant = await newTenant(system.url, 'Merchant');
    const card = await fundedAccount(payer.api, 'USD', 1_000);
    const till = await fundedAccount(merchant.api, 'USD', 0);
    const paid = await payer.api.post(
      '/v1/transfers',
      { source_account_id: card, destination_account_id: till, amount: 300, currency: 'USD' },
      idem(),
    );
    expect((await settled(payer.api, paid.body.id)).status).toBe('committed');

    // What the API writes on accepting "refund all that remains" (300 then), without the publish.
    const id = newId();
    const idempotencyKey = randomUUID();
    const [accepted] = await insertPendingTransfers(system.pool, [
      {
        id,
        tenantId: merchant.id,
        idempotencyKey,
        requestHash: refundFingerprint(paid.body.id, null),
        kind: 'refund',
        sourceAccountId: till,
        destinationAccountId: card,
        amount: 300n,
        currency: 'USD',
        description: null,
        metadata: null,
        expiresAt: null,
        holdId: null,
        refundOf: paid.body.id,
        command: {
          transfer_id: id,
          tenant_id: merchant.id,
          idempotency_key: idempotencyKey,
          refund_of: paid.body.id,
        },
      },
    ]);
    expect(accepted).toMatchObject({ inserted: true });
    // Meanwhile another refund takes 100.
    const other = await merchant.api.post(`/v1/transfers/${paid.body.id}/refunds`, { amount: 100 }, idem());
    expect((await settled(merchant.api, other.body.id)).status).toBe('committed');

    expect(await settled(merchant.api, id)).toMatchObject({
      kind: 'refund',
      refund_of: paid.body.id,
      status: 'committed',
      amount: '200',
      entries: [
        { account_id: till, direction: 'debit', amount: '200' },
        { account_id: card, direction: 'credit', amount: '200' },
      ],
    });
    expect((await payer.api.get(`/v1/transfers/${paid.body.id}`)).body.refunded_amount).toBe('300');
    expect((await payer.api.get(`/v1/accounts/${card}`)).body.balance).toBe('1000');
  });
});
