import type { CurrencyCode } from '../../../contracts/src';
import { rateOf } from '../../../domain/money';
import type { PoolClient } from '../../../platform/postgres';
import type { TransferRecord } from '../../../domain/transfer-view';
import { LedgerInvariantError } from '../domain/errors';
import type { OriginalTransfer, Outcome } from '../domain/types';

interface OriginalRow {
  id: string;
  tenant_id: string;
  kind: TransferRecord['kind'];
  hold_id: string | null;
  source_account_id: string | null;
  destination_account_id: string | null;
  amount: string;
  currency: CurrencyCode;
  destination_amount: string | null;
  destination_currency: CurrencyCode | null;
  rate_numerator: string | null;
  rate_denominator: string | null;
  description: string | null;
  metadata: Record<string, string> | null;
  status: TransferRecord['status'];
  reason: TransferRecord['reason'];
  created_at: Date;
  finalized_at: Date | null;
  refunded_amount: string;
  refunded_destination_amount: string;
}

/**
 * The transfers named by refunds, as they stand, with their entries (the transfer.refunded event
 * shows them). The caller has locked their rows (lockExistingTransfers), so no other batch can
 * change their refunded totals before its transaction ends. Ids naming no transfer are absent.
 */
export async function readOriginals(
  client: PoolClient,
  ids: string[],
): Promise<Map<string, OriginalTransfer>> {
  if (ids.length === 0) return new Map();
  const { rows } = await client.query<OriginalRow>(
    `SELECT id, tenant_id, kind, hold_id, source_account_id, destination_account_id, amount::text, currency,
            destination_amount, destination_currency, rate_numerator, rate_denominator, description,
            metadata, status, reason, created_at, finalized_at, refunded_amount, refunded_destination_amount
       FROM transfers WHERE id = ANY($1::uuid[]) AND amount IS NOT NULL`,
    [ids],
  );
  const entries = await client.query<{
    transfer_id: string;
    account_id: string;
    amount: string;
    currency: CurrencyCode;
  }>(
    'SELECT transfer_id, account_id, amount, currency FROM entries WHERE transfer_id = ANY($1::uuid[]) ORDER BY id',
    [rows.map((r) => r.id)],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        tenantId: r.tenant_id,
        kind: r.kind,
        holdId: r.hold_id,
        hold: null,
        refundOf: null,
        refunded: {
          amount: BigInt(r.refunded_amount),
          destinationAmount: BigInt(r.refunded_destination_amount),
        },
        sourceAccountId: r.source_account_id,
        destinationAccountId: r.destination_account_id,
        amount: BigInt(r.amount),
        currency: r.currency,
        destinationAmount: r.destination_amount === null ? null : BigInt(r.destination_amount),
        destinationCurrency: r.destination_currency,
        rate:
          r.rate_numerator && r.rate_denominator
            ? rateOf(BigInt(r.rate_numerator), BigInt(r.rate_denominator))
            : null,
        description: r.description,
        metadata: r.metadata,
        status: r.status,
        reason: r.reason,
        createdAt: r.created_at,
        finalizedAt: r.finalized_at,
        entries: entries.rows
          .filter((e) => e.transfer_id === r.id)
          .map((e) => ({ accountId: e.account_id, amount: BigInt(e.amount), currency: e.currency })),
      },
    ]),
  );
}

/**
 * Records the batch's refunds: each refund row's decided amount (a pending row holds the API's
 * estimate of "all that remains"), and each refunded original's new totals. An original moves
 * only from the totals the batch read under its lock (a conditional update), and the database's
 * own CHECK caps the totals at the original: a refund can never be counted twice or beyond it.
 * @throws LedgerInvariantError when an original's totals changed under the lock (a bug)
 */
export async function recordRefunds(
  client: PoolClient,
  outcomes: Outcome[],
  before: Map<string, OriginalTransfer>,
): Promise<void> {
  const refunds = outcomes.filter((o) => o.command.refundOf);
  if (refunds.length === 0) return;
  // Only "all that remains" can differ from the pending row; an amount asked for is recorded as
  // asked (beyond BIGINT, by writeTransfers, in amount_as_sent).
  const defaulted = refunds.filter((o) => o.write === 'update' && o.command.requestedAmount === null);
  if (defaulted.length > 0)
    await client.query(
      `UPDATE transfers t SET amount = u.amount FROM unnest($1::uuid[], $2::bigint[]) AS u (id, amount)
        WHERE t.id = u.id AND t.amount IS DISTINCT FROM u.amount`,
      [defaulted.map((o) => o.command.transferId), defaulted.map((o) => o.command.amount.toString())],
    );
  // The last refund of each original in the batch carries its final totals.
  const after = new Map<string, OriginalTransfer>();
  for (const o of refunds) if (o.refundAfter) after.set(o.refundAfter.id, o.refundAfter);
  if (after.size === 0) return;
  const changed = [...after.values()];
  const was = (t: OriginalTransfer) => {
    const b = before.get(t.id);
    if (!b) throw new LedgerInvariantError(`refunded transfer ${t.id} was not loaded`);
    return b.refunded;
  };
  const updated = await client.query(
    `UPDATE transfers t SET refunded_amount = u.amount, refunded_destination_amount = u.destination_amount
       FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
         AS u (id, amount, destination_amount, was_amount, was_destination_amount)
      WHERE t.id = u.id AND t.status = 'committed'
        AND t.refunded_amount = u.was_amount AND t.refunded_destination_amount = u.was_destination_amount`,
    [
      changed.map((t) => t.id),
      changed.map((t) => t.refunded.amount.toString()),
      changed.map((t) => t.refunded.destinationAmount.toString()),
      changed.map((t) => was(t).amount.toString()),
      changed.map((t) => was(t).destinationAmount.toString()),
    ],
  );
  if (updated.rowCount !== changed.length)
    throw new LedgerInvariantError(
      `recorded the refunds of ${updated.rowCount} of ${changed.length} transfers`,
    );
}
