import type { CurrencyCode } from '../../../contracts/src';
import { withTransaction, type Pool } from '../../../platform/postgres';

export interface AccountRow {
  id: string;
  tenant_id: string;
  kind: 'customer' | 'world' | 'fx_house';
  currency: CurrencyCode;
  name: string;
  metadata: Record<string, string>;
  status: 'active' | 'frozen' | 'closed';
  balance: string;
  /** Reserved by open holds; available = balance - held. */
  held: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, tenant_id, kind, currency, name, metadata, status, balance, held, created_at, updated_at';

export async function insertAccount(
  db: Pool,
  a: { id: string; tenantId: string; name: string; currency: CurrencyCode; metadata: Record<string, string> },
): Promise<AccountRow> {
  const { rows } = await db.query<AccountRow>(
    `INSERT INTO accounts (id, tenant_id, name, currency, metadata) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [a.id, a.tenantId, a.name, a.currency, JSON.stringify(a.metadata)],
  );
  return rows[0]!;
}

/** A customer account of the tenant, or undefined (also for other tenants' accounts). */
export async function findOwnAccount(
  db: Pool,
  tenantId: string,
  id: string,
): Promise<AccountRow | undefined> {
  const { rows } = await db.query<AccountRow>(
    `SELECT ${COLUMNS} FROM accounts WHERE id = $1 AND tenant_id = $2 AND kind = 'customer'`,
    [id, tenantId],
  );
  return rows[0];
}

export async function listOwnAccounts(db: Pool, tenantId: string, after: string | undefined, limit: number) {
  const { rows } = await db.query<AccountRow>(
    `SELECT ${COLUMNS} FROM accounts WHERE tenant_id = $1 AND kind = 'customer' AND ($2::uuid IS NULL OR id > $2)
      ORDER BY id LIMIT $3`,
    [tenantId, after ?? null, limit],
  );
  return rows;
}

export type AccountChanges = {
  name?: string | undefined;
  metadata?: Record<string, string> | undefined;
  status?: AccountRow['status'] | undefined;
};

/**
 * Applies the changes under the row lock the processor also takes, so a status change and a
 * transfer never interleave. A closed account stays closed; closing needs a zero balance.
 */
export async function updateOwnAccount(
  pool: Pool,
  tenantId: string,
  id: string,
  changes: AccountChanges,
): Promise<{ row: AccountRow } | { refused: 'not_found' | 'closed' | 'not_empty' }> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<AccountRow>(
      `SELECT ${COLUMNS} FROM accounts WHERE id = $1 AND tenant_id = $2 AND kind = 'customer' FOR UPDATE`,
      [id, tenantId],
    );
    const current = rows[0];
    if (!current) return { refused: 'not_found' as const };
    if (current.status === 'closed') return { refused: 'closed' as const };
    if (changes.status === 'closed' && current.balance !== '0') return { refused: 'not_empty' as const };
    const updated = await client.query<AccountRow>(
      `UPDATE accounts SET name = COALESCE($2, name), metadata = COALESCE($3::jsonb, metadata),
              status = COALESCE($4, status), updated_at = now()
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [
        id,
        changes.name ?? null,
        changes.metadata ? JSON.stringify(changes.metadata) : null,
        changes.status ?? null,
      ],
    );
    return { row: updated.rows[0]! };
  });
}

/** Owner and currency of accounts: both immutable, so callers may cache them indefinitely. */
export async function accountOwners(db: Pool, ids: string[]) {
  const { rows } = await db.query<{
    id: string;
    tenant_id: string;
    kind: AccountRow['kind'];
    currency: CurrencyCode;
  }>('SELECT id, tenant_id, kind, currency FROM accounts WHERE id = ANY($1::uuid[])', [ids]);
  return rows;
}

export interface StatementRow {
  id: string;
  transfer_id: string;
  currency: CurrencyCode;
  amount: string;
  balance_after: string;
  created_at: Date;
}

export async function statement(
  db: Pool,
  q: {
    accountId: string;
    afterId: string | undefined;
    from: string | undefined;
    to: string | undefined;
    limit: number;
  },
) {
  const { rows } = await db.query<StatementRow>(
    `SELECT id, transfer_id, currency, amount, balance_after, created_at FROM entries
      WHERE account_id = $1 AND ($2::bigint IS NULL OR id > $2)
        AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at < $4)
      ORDER BY id LIMIT $5`,
    [q.accountId, q.afterId ?? null, q.from ?? null, q.to ?? null, q.limit],
  );
  return rows;
}
