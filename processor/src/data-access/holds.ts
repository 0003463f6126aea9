import type { Pool, PoolClient } from '../../../platform/postgres';
import { LedgerInvariantError } from '../domain/errors';
import type { HoldSnapshot } from '../domain/types';
import {
  LEG_COLUMNS,
  legsByTransfer,
  toTransferRecord,
  TRANSFER_COLUMNS,
  type LegRow,
  type TransferRow,
} from '../../../domain/transfer-rows';

/**
 * The holds named by follow-ups, as they stand. The caller has locked their rows
 * (lockExistingTransfers), so they cannot change before its transaction ends. Ids naming no hold
 * (no row, or a transfer with automatic capture) are absent.
 */
export async function readHolds(client: PoolClient, ids: string[]): Promise<Map<string, HoldSnapshot>> {
  if (ids.length === 0) return new Map();
  const { rows } = await client.query<TransferRow>(
    `SELECT ${TRANSFER_COLUMNS}
       FROM transfers WHERE id = ANY($1::uuid[]) AND expires_at IS NOT NULL AND amount IS NOT NULL`,
    [ids],
  );
  // A split hold's legs: its capture posts every one of them.
  const legs = legsByTransfer(
    (
      await client.query<LegRow>(
        `SELECT ${LEG_COLUMNS} FROM transfer_legs WHERE transfer_id = ANY($1::uuid[]) ORDER BY transfer_id, position`,
        [rows.map((r) => r.id)],
      )
    ).rows,
  );
  return new Map(
    rows.map((r) => {
      const record = toTransferRecord(r, [], legs.get(r.id) ?? null);
      // expires_at is set (the WHERE above), so the record has its hold.
      return [r.id, { ...record, hold: record.hold! }];
    }),
  );
}

/**
 * Closes holds: each goes from held to captured, voided or expired, with its amounts and the
 * follow-up that closed it. Only from `held`: a hold closes once, whatever asks twice.
 * @throws LedgerInvariantError when a hold was not open (its row lock makes that a bug)
 */
export async function closeHolds(client: PoolClient, closed: HoldSnapshot[]): Promise<void> {
  if (closed.length === 0) return;
  const col = <T>(f: (h: HoldSnapshot) => T) => closed.map(f);
  const updated = await client.query(
    `UPDATE transfers t SET status = u.status, captured_amount = u.captured, released_amount = u.released,
            resolved_by = u.resolved_by, resolved_at = u.resolved_at
       FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::bigint[], $5::uuid[], $6::timestamptz[])
         AS u (id, status, captured, released, resolved_by, resolved_at)
      WHERE t.id = u.id AND t.status = 'held'`,
    [
      col((h) => h.id),
      col((h) => h.status),
      col((h) => h.hold.capturedAmount!.toString()),
      col((h) => h.hold.releasedAmount!.toString()),
      col((h) => h.hold.resolvedBy),
      col((h) => h.hold.resolvedAt),
    ],
  );
  if (updated.rowCount !== closed.length)
    throw new LedgerInvariantError(`closed ${updated.rowCount} of ${closed.length} holds`);
}

export interface DueHold {
  id: string;
  tenant_id: string;
  source_account_id: string;
  /** Its expiry was asked for before (that command was lost, late, or is still on its way). */
  again: boolean;
}

/**
 * Open holds past their expiry whose expiry was not asked for within `againAfter_ms`, claimed
 * (marked as asked now) so that sweepers of other processes skip them: each due hold gets one
 * expiry command per `againAfter_ms`, until the processor has expired it (or a capture or void
 * closed it first). Rows locked by a batch deciding the hold right now are skipped this round.
 */
export async function claimDueHolds(
  db: Pool | PoolClient,
  againAfter_ms: number,
  limit: number,
): Promise<DueHold[]> {
  const { rows } = await db.query<DueHold>(
    `WITH due AS (
       SELECT id, expiry_requested_at IS NOT NULL AS again FROM transfers
        WHERE status = 'held' AND expires_at <= now()
          AND (expiry_requested_at IS NULL
               OR expiry_requested_at < now() - make_interval(secs => $1 / 1000.0))
        ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
     UPDATE transfers t SET expiry_requested_at = now() FROM due WHERE t.id = due.id
     RETURNING t.id, t.tenant_id, t.source_account_id, due.again`,
    [againAfter_ms, limit],
  );
  return rows;
}
