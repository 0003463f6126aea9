import type { PoolClient } from '../../../platform/postgres';
import {
  entriesByTransfer,
  LEG_COLUMNS,
  legsByTransfer,
  toTransferRecord,
  TRANSFER_COLUMNS,
  type EntryRow,
  type LegRow,
  type TransferRow,
} from '../../../domain/transfer-rows';
import { LedgerInvariantError } from '../domain/errors';
import type { OriginalTransfer, Outcome } from '../domain/types';

/**
 * The transfers named by refunds, as they stand, with their entries (the transfer.refunded event
 * shows them) and a split's legs (with their refunded totals and payees). The caller has locked
 * their rows (lockExistingTransfers), so no other batch can change their refunded totals, nor
 * their legs', before its transaction ends. Ids naming no transfer are absent.
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
  const legs = await client.query<LegRow>(
    `SELECT ${LEG_COLUMNS} FROM transfer_legs WHERE transfer_id = ANY($1::uuid[]) ORDER BY transfer_id, position`,
    [rows.map((r) => r.id)],
  );
  const byTransfer = entriesByTransfer(entries.rows);
  const legsOf = legsByTransfer(legs.rows);
  return new Map(
    rows.map((r) => [r.id, toTransferRecord(r, byTransfer.get(r.id) ?? [], legsOf.get(r.id) ?? null)]),
  );
}

/**
 * Records the batch's refunds: each refund row's decided amount (a pending row holds the API's
 * estimate of "all that remains"), and each refunded original's new totals (a split's: its legs').
 * An original (a leg) moves only from the totals the batch read under the original's lock (a
 * conditional update), and the database's own CHECKs cap the totals at the original (the leg): a
 * refund can never be counted twice or beyond it.
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
  const changed = [...after.values()].filter((t) => !t.legs);
  const was = (t: OriginalTransfer) => {
    const b = before.get(t.id);
    if (!b) throw new LedgerInvariantError(`refunded transfer ${t.id} was not loaded`);
    return b;
  };
  await recordLegRefunds(
    client,
    [...after.values()].filter((t) => t.legs),
    was,
  );
  if (changed.length === 0) return;
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
      changed.map((t) => was(t).refunded.amount.toString()),
      changed.map((t) => was(t).refunded.destinationAmount.toString()),
    ],
  );
  if (updated.rowCount !== changed.length)
    throw new LedgerInvariantError(
      `recorded the refunds of ${updated.rowCount} of ${changed.length} transfers`,
    );
}

/** The refunded totals of the legs the batch's refunds changed, each only from what was read. */
async function recordLegRefunds(
  client: PoolClient,
  splits: OriginalTransfer[],
  was: (t: OriginalTransfer) => OriginalTransfer,
): Promise<void> {
  const changes = splits.flatMap((t) => {
    const before = was(t).legs ?? [];
    return (t.legs ?? []).flatMap((leg, position) => {
      const prior = before[position]?.refunded ?? { amount: 0n, destinationAmount: 0n };
      const now = leg.refunded ?? prior;
      if (now.amount === prior.amount && now.destinationAmount === prior.destinationAmount) return [];
      return [{ id: t.id, position: leg.index ?? position, now, prior }];
    });
  });
  if (changes.length === 0) return;
  const updated = await client.query(
    `UPDATE transfer_legs l SET refunded_amount = u.amount, refunded_destination_amount = u.destination_amount
       FROM unnest($1::uuid[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
         AS u (id, position, amount, destination_amount, was_amount, was_destination_amount)
      WHERE l.transfer_id = u.id AND l.position = u.position
        AND l.refunded_amount = u.was_amount AND l.refunded_destination_amount = u.was_destination_amount`,
    [
      changes.map((c) => c.id),
      changes.map((c) => c.position),
      changes.map((c) => c.now.amount.toString()),
      changes.map((c) => c.now.destinationAmount.toString()),
      changes.map((c) => c.prior.amount.toString()),
      changes.map((c) => c.prior.destinationAmount.toString()),
    ],
  );
  if (updated.rowCount !== changes.length)
    throw new LedgerInvariantError(`recorded the refunds of ${updated.rowCount} of ${changes.length} legs`);
}
