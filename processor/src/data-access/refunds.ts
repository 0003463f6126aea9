import type { PoolClient } from '../../../platform/postgres';
import {
  entriesByTransfer,
  toTransferRecord,
  TRANSFER_COLUMNS,
  type EntryRow,
  type TransferRow,
} from '../../../domain/transfer-rows';
import { LedgerInvariantError } from '../domain/errors';
import type { OriginalTransfer, Outcome } from '../domain/types';

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
  const { rows } = await client.query<TransferRow>(
    `SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE id = ANY($1::uuid[]) AND amount IS NOT NULL`,
    [ids],
  );
  const entries = await client.query<EntryRow>(
    'SELECT transfer_id, account_id, amount, currency FROM entries WHERE transfer_id = ANY($1::uuid[]) ORDER BY id',
    [rows.map((r) => r.id)],
  );
  const byTransfer = entriesByTransfer(entries.rows);
  return new Map(rows.map((r) => [r.id, toTransferRecord(r, byTransfer.get(r.id) ?? [])]));
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
