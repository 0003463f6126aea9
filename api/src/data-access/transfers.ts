import type { TransferCommandV1 } from '../../../contracts/src';
import type { Pool } from '../../../platform/postgres';
import type { TransferRecord } from '../../../domain/transfer-view';
import {
  entriesByTransfer,
  LEG_COLUMNS,
  legsByTransfer,
  type LegRow,
  toTransferRecord,
  TRANSFER_COLUMNS,
  type EntryRow,
  type TransferRow,
} from '../../../domain/transfer-rows';
import { asSeenBy } from '../../../domain/split-visibility';

export interface NewTransfer {
  id: string;
  tenantId: string;
  idempotencyKey: string;
  requestHash: Buffer;
  kind: TransferRecord['kind'];
  sourceAccountId: string | null;
  destinationAccountId: string | null;
  amount: bigint;
  currency: string;
  description: string | null;
  metadata: Record<string, string> | null;
  /** Holds: when the reservation lapses. */
  expiresAt: Date | null;
  /** Follow-ups (capture, void): the hold acted on. */
  holdId: string | null;
  /** Refunds: the transfer refunded. */
  refundOf?: string | null;
  /** Refunds of a split: the leg refunded. */
  refundLeg?: number | null;
  /** Split transfers: the legs as asked, recorded with the pending row (position = index). */
  legs?: Array<{ destinationAccountId: string; amount: bigint }> | null;
  /** The command's payload as published: the sweeper re-sends it (its type follows from kind). */
  command: TransferCommandV1['payload'];
}

export type InsertResult =
  { inserted: true; record: TransferRecord } | { inserted: false; existingId: string; sameRequest: boolean };

/**
 * Records accepted transfers as pending in one statement (one commit for the lot), except those
 * whose tenant used the idempotency key before: for those, says which transfer it was and whether
 * the request was the same. Results are in the order of `transfers`.
 */
export async function insertPendingTransfers(db: Pool, transfers: NewTransfer[]): Promise<InsertResult[]> {
  const col = <T>(f: (t: NewTransfer) => T) => transfers.map(f);
  const { rows } = await db.query<TransferRow>(
    `INSERT INTO transfers (id, tenant_id, idempotency_key, request_hash, kind, source_account_id,
        destination_account_id, amount, currency, description, metadata, status, command, expires_at, hold_id,
        refund_of, refund_leg)
     SELECT u.id, u.tenant_id, u.key, u.hash, u.kind, u.source, u.destination, u.amount, u.currency,
            u.description, u.metadata, 'pending', u.command, u.expires_at, u.hold_id, u.refund_of, u.refund_leg
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bytea[], $5::text[], $6::uuid[], $7::uuid[],
                   $8::bigint[], $9::text[], $10::text[], $11::jsonb[], $12::jsonb[], $13::timestamptz[], $14::uuid[],
                   $15::uuid[], $16::int[])
         AS u (id, tenant_id, key, hash, kind, source, destination, amount, currency, description, metadata, command,
               expires_at, hold_id, refund_of, refund_leg)
     ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
     RETURNING ${TRANSFER_COLUMNS}`,
    [
      col((t) => t.id),
      col((t) => t.tenantId),
      col((t) => t.idempotencyKey),
      col((t) => t.requestHash),
      col((t) => t.kind),
      col((t) => t.sourceAccountId),
      col((t) => t.destinationAccountId),
      col((t) => t.amount.toString()),
      col((t) => t.currency),
      col((t) => t.description),
      col((t) => (t.metadata ? JSON.stringify(t.metadata) : null)),
      col((t) => JSON.stringify(t.command)),
      col((t) => t.expiresAt),
      col((t) => t.holdId),
      col((t) => t.refundOf ?? null),
      col((t) => t.refundLeg ?? null),
    ],
  );
  const inserted = new Map(rows.map((r) => [r.id, r]));
  const legs = transfers.flatMap((t) =>
    inserted.has(t.id) ? (t.legs ?? []).map((l, position) => ({ id: t.id, position, ...l })) : [],
  );
  // Not atomic with the pending row: a crash in between leaves a split pending without its legs
  // shown until the processor decides it, which writes them all (writeLegs upserts by position).
  if (legs.length > 0)
    await db.query(
      `INSERT INTO transfer_legs (transfer_id, position, destination_account_id, amount)
       SELECT * FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::bigint[]) ON CONFLICT DO NOTHING`,
      [
        legs.map((l) => l.id),
        legs.map((l) => l.position),
        legs.map((l) => l.destinationAccountId),
        legs.map((l) => l.amount.toString()),
      ],
    );
  const others = transfers.filter((t) => !inserted.has(t.id));
  const existing = new Map<string, { id: string; request_hash: Buffer }>();
  if (others.length > 0) {
    const found = await db.query<{
      id: string;
      tenant_id: string;
      idempotency_key: string;
      request_hash: Buffer;
    }>(
      `SELECT id, tenant_id, idempotency_key, request_hash FROM transfers
        WHERE tenant_id = ANY($1::uuid[]) AND idempotency_key = ANY($2::text[])`,
      [[...new Set(others.map((t) => t.tenantId))], others.map((t) => t.idempotencyKey)],
    );
    for (const r of found.rows) existing.set(`${r.tenant_id}\n${r.idempotency_key}`, r);
  }
  return transfers.map((t): InsertResult => {
    const row = inserted.get(t.id);
    if (row) {
      const asked = t.legs?.map((l) => ({
        ...l,
        destinationAmount: null,
        destinationCurrency: null,
        rate: null,
      }));
      return { inserted: true, record: toTransferRecord(row, [], asked ?? null) };
    }
    const prior = existing.get(`${t.tenantId}\n${t.idempotencyKey}`)!;
    return { inserted: false, existingId: prior.id, sameRequest: prior.request_hash.equals(t.requestHash) };
  });
}

/** The transfer a tenant recorded under an idempotency key, and the fingerprint of its request. */
export async function findByIdempotencyKey(
  db: Pool,
  tenantId: string,
  idempotencyKey: string,
): Promise<{ id: string; requestHash: Buffer } | undefined> {
  const { rows } = await db.query<{ id: string; request_hash: Buffer }>(
    'SELECT id, request_hash FROM transfers WHERE tenant_id = $1 AND idempotency_key = $2',
    [tenantId, idempotencyKey],
  );
  return rows[0] ? { id: rows[0].id, requestHash: rows[0].request_hash } : undefined;
}

/**
 * Who may read a transfer: its payer (the tenant that submitted it), the payee of an ordinary
 * transfer once decided (destination_tenant_id), and the payee of a leg of a split once decided
 * (transfer_legs.destination_tenant_id, migrations/0014), who sees it restricted to its legs
 * (domain/split-visibility.ts).
 */
const VISIBLE = `(t.tenant_id = $1 OR t.destination_tenant_id = $1
  OR EXISTS (SELECT 1 FROM transfer_legs l WHERE l.transfer_id = t.id AND l.destination_tenant_id = $1))`;

/** A transfer the tenant sent or received, with its entries, as the tenant may see it; undefined otherwise. */
export async function findVisibleTransfer(
  db: Pool,
  tenantId: string,
  id: string,
): Promise<TransferRecord | undefined> {
  const { rows } = await db.query<TransferRow>(
    `SELECT ${TRANSFER_COLUMNS} FROM transfers t WHERE t.id = $2 AND ${VISIBLE}`,
    [tenantId, id],
  );
  if (!rows[0]) return undefined;
  const entries = await entriesOf(db, [id]);
  const legs = await legsOf(db, [id]);
  return asSeenBy(toTransferRecord(rows[0], entries.get(id) ?? [], legs.get(id) ?? null), tenantId);
}

export interface TransferFilter {
  accountId?: string | undefined;
  status?: TransferRecord['status'] | undefined;
  kind?: TransferRecord['kind'] | undefined;
  refundOf?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** Keyset cursor: strictly older than (created_at, id). */
  before?: { createdAt: string; id: string } | undefined;
  limit: number;
}

// The filters both lists below share ($3.. as in listVisibleTransfers' parameters).
const FILTERS = `($3::text IS NULL OR t.status = $3)
        AND ($4::timestamptz IS NULL OR t.created_at >= $4)
        AND ($5::timestamptz IS NULL OR t.created_at < $5)
        AND ($6::timestamptz IS NULL OR (t.created_at, t.id) < ($6, $7::uuid))
        AND ($9::text IS NULL OR t.kind = $9)
        AND ($10::uuid IS NULL OR t.refund_of = $10)`;

/**
 * Newest first, as the tenant may see each. Two index-driven reads merged: the transfers the
 * tenant sent or was paid by (transfers' tenant, payee and account indexes), and the splits of
 * other tenants with a leg paying it (transfer_legs by payee, or by account with `accountId`).
 */
export async function listVisibleTransfers(
  db: Pool,
  tenantId: string,
  f: TransferFilter,
): Promise<TransferRecord[]> {
  const params = [
    tenantId,
    f.accountId ?? null,
    f.status ?? null,
    f.from ?? null,
    f.to ?? null,
    f.before?.createdAt ?? null,
    f.before?.id ?? null,
    f.limit,
    f.kind ?? null,
    f.refundOf ?? null,
  ];
  const direct = await db.query<TransferRow>(
    `SELECT ${TRANSFER_COLUMNS} FROM transfers t
      WHERE (t.tenant_id = $1 OR t.destination_tenant_id = $1)
        AND ($2::uuid IS NULL OR t.source_account_id = $2 OR t.destination_account_id = $2)
        AND ${FILTERS}
      ORDER BY t.created_at DESC, t.id DESC LIMIT $8`,
    params,
  );
  // Splits only (no refund is a split): nothing to read when the list asks for refunds. By a leg's
  // account: the splits paying it that the tenant paid or is that leg's payee (the index on the
  // legs' account); else the splits of other tenants with a leg paying this one (on their payee).
  const byLeg =
    f.refundOf !== undefined || (f.kind !== undefined && f.kind !== 'transfer' && f.kind !== 'capture')
      ? { rows: [] }
      : await db.query<TransferRow>(
          f.accountId
            ? `SELECT ${TRANSFER_COLUMNS} FROM transfers t
                WHERE t.id IN (SELECT l.transfer_id FROM transfer_legs l WHERE l.destination_account_id = $2)
                  AND (t.tenant_id = $1 OR EXISTS (SELECT 1 FROM transfer_legs m WHERE m.transfer_id = t.id
                        AND m.destination_account_id = $2 AND m.destination_tenant_id = $1))
                  AND t.destination_tenant_id IS NULL
                  AND ${FILTERS}
                ORDER BY t.created_at DESC, t.id DESC LIMIT $8`
            : `SELECT ${TRANSFER_COLUMNS} FROM transfers t
                WHERE t.id IN (SELECT l.transfer_id FROM transfer_legs l WHERE l.destination_tenant_id = $1)
                  AND t.tenant_id <> $1 AND t.destination_tenant_id IS NULL AND $2::uuid IS NULL
                  AND ${FILTERS}
                ORDER BY t.created_at DESC, t.id DESC LIMIT $8`,
          params,
        );
  const seen = new Set(direct.rows.map((r) => r.id));
  const rows = [...direct.rows, ...byLeg.rows.filter((r) => !seen.has(r.id))]
    .sort(
      (a, b) => b.created_at.getTime() - a.created_at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
    )
    .slice(0, f.limit);
  const ids = rows.map((r) => r.id);
  const entries = await entriesOf(db, ids);
  const legs = await legsOf(db, ids);
  return rows.map((r) =>
    asSeenBy(toTransferRecord(r, entries.get(r.id) ?? [], legs.get(r.id) ?? null), tenantId),
  );
}

export interface StalePending {
  id: string;
  kind: TransferRecord['kind'];
  source_account_id: string | null;
  destination_account_id: string | null;
  command: TransferCommandV1['payload'];
}

/** Pending transfers accepted long enough ago that their command may never have reached Kafka. */
export async function claimStalePending(db: Pool, olderThan_ms: number, limit: number) {
  const { rows } = await db.query<StalePending>(
    `UPDATE transfers SET republished_at = now()
      WHERE id IN (SELECT id FROM transfers
                    WHERE status = 'pending' AND created_at < now() - make_interval(secs => $1 / 1000.0)
                      AND (republished_at IS NULL OR republished_at < now() - make_interval(secs => $1 / 1000.0))
                    ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
      RETURNING id, kind, source_account_id, destination_account_id, command`,
    [olderThan_ms, limit],
  );
  return rows;
}

async function entriesOf(db: Pool, transferIds: string[]) {
  if (transferIds.length === 0) return new Map<string, TransferRecord['entries']>();
  const { rows } = await db.query<EntryRow>(
    'SELECT transfer_id, account_id, amount, currency FROM entries WHERE transfer_id = ANY($1::uuid[]) ORDER BY id',
    [transferIds],
  );
  return entriesByTransfer(rows);
}

async function legsOf(db: Pool, transferIds: string[]) {
  if (transferIds.length === 0) return new Map<string, NonNullable<TransferRecord['legs']>>();
  const { rows } = await db.query<LegRow>(
    `SELECT ${LEG_COLUMNS} FROM transfer_legs WHERE transfer_id = ANY($1::uuid[]) ORDER BY transfer_id, position`,
    [transferIds],
  );
  return legsByTransfer(rows);
}
