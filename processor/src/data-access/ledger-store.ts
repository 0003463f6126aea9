import type { CurrencyCode } from '../../../contracts/src';
import type { PoolClient } from '../../../platform/postgres';
import { invertRate, rateOf, type Rate } from '../../../platform/money';
import type { AccountKind, AccountState, Command, ExistingTransfer, Outcome } from '../domain/types';
import { idempotencyScope } from '../domain/decide-batch';
import type { OutboxRow } from '../domain/build-events';
import { LedgerInvariantError } from '../domain/errors';

type SystemKind = Exclude<AccountKind, 'customer'>;

/** Ids of the per-currency system accounts; they never change once migrated. */
export async function loadSystemAccounts(client: PoolClient): Promise<Map<string, string>> {
  const { rows } = await client.query<{ id: string; kind: SystemKind; currency: CurrencyCode }>(
    "SELECT id, kind, currency FROM accounts WHERE kind <> 'customer'",
  );
  return new Map(rows.map((r) => [`${r.kind}:${r.currency}`, r.id]));
}

/** Which of these tenants exist. */
export async function existingTenants(client: PoolClient, ids: string[]): Promise<Set<string>> {
  const { rows } = await client.query<{ id: string }>('SELECT id FROM tenants WHERE id = ANY($1::uuid[])', [
    ids,
  ]);
  return new Set(rows.map((r) => r.id));
}

/** Transfers already recorded for the commands' idempotency keys, locked so concurrent duplicates wait. */
export async function lockExistingTransfers(
  client: PoolClient,
  commands: Command[],
): Promise<Map<string, ExistingTransfer>> {
  const { rows } = await client.query<{
    id: string;
    tenant_id: string;
    idempotency_key: string;
    status: ExistingTransfer['status'];
    request_hash: Buffer;
    created_at: Date;
  }>(
    `SELECT t.id, t.tenant_id, t.idempotency_key, t.status, t.request_hash, t.created_at
       FROM transfers t
       JOIN unnest($1::uuid[], $2::text[]) AS k (tenant_id, idempotency_key)
         ON t.tenant_id = k.tenant_id AND t.idempotency_key = k.idempotency_key
      ORDER BY t.id
        FOR UPDATE OF t`,
    [commands.map((c) => c.tenantId), commands.map((c) => c.idempotencyKey)],
  );
  return new Map(
    rows.map((r) => [
      idempotencyScope(r.tenant_id, r.idempotency_key),
      { id: r.id, status: r.status, requestHash: r.request_hash, createdAt: r.created_at },
    ]),
  );
}

/** Currencies of accounts (immutable), to know which system accounts a batch needs before locking. */
export async function accountCurrencies(
  client: PoolClient,
  ids: string[],
): Promise<Map<string, CurrencyCode>> {
  const { rows } = await client.query<{ id: string; currency: CurrencyCode }>(
    'SELECT id, currency FROM accounts WHERE id = ANY($1::uuid[])',
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.currency]));
}

/**
 * Locks the accounts in id order (one order for every batch, so concurrent partitions never
 * deadlock) and returns their state.
 */
export async function lockAccounts(client: PoolClient, ids: string[]): Promise<Map<string, AccountState>> {
  const { rows } = await client.query<{
    id: string;
    tenant_id: string;
    kind: AccountKind;
    currency: CurrencyCode;
    status: AccountState['status'];
    balance: string;
  }>(
    `SELECT id, tenant_id, kind, currency, status, balance FROM accounts
      WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
    [ids],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        tenantId: r.tenant_id,
        kind: r.kind,
        currency: r.currency,
        status: r.status,
        balance: BigInt(r.balance),
      },
    ]),
  );
}

/** Rates for the pairs asked; a missing direct rate falls back to the inverse of the reverse one. */
export async function loadRates(
  client: PoolClient,
  pairs: Array<[CurrencyCode, CurrencyCode]>,
): Promise<Map<string, Rate>> {
  if (pairs.length === 0) return new Map();
  const { rows } = await client.query<{
    base: CurrencyCode;
    quote: CurrencyCode;
    numerator: string;
    denominator: string;
  }>(
    'SELECT base, quote, numerator, denominator FROM fx_rates WHERE base = ANY($1::text[]) AND quote = ANY($1::text[])',
    [[...new Set(pairs.flat())]],
  );
  const direct = new Map(
    rows.map((r) => [`${r.base}:${r.quote}`, rateOf(BigInt(r.numerator), BigInt(r.denominator))]),
  );
  const rates = new Map<string, Rate>();
  for (const [base, quote] of pairs) {
    const rate = direct.get(`${base}:${quote}`);
    const reverse = direct.get(`${quote}:${base}`);
    if (rate) rates.set(`${base}:${quote}`, rate);
    else if (reverse) rates.set(`${base}:${quote}`, invertRate(reverse));
  }
  return rates;
}

/** Reserves ids for the batch's entries, so events can name them before the rows exist. */
export async function reserveEntryIds(client: PoolClient, count: number): Promise<string[]> {
  if (count === 0) return [];
  const { rows } = await client.query<{ id: string }>(
    "SELECT nextval(pg_get_serial_sequence('entries', 'id'))::text AS id FROM generate_series(1, $1)",
    [count],
  );
  return rows.map((r) => r.id);
}

/** Writes a decided batch with set-based statements: one per table, whatever the batch size. */
export async function writeBatch(
  client: PoolClient,
  outcomes: Outcome[],
  entryIds: string[][],
  balances: Map<string, bigint>,
  outbox: { topic: string; rows: OutboxRow[] },
  now: Date,
): Promise<void> {
  const inserts = outcomes.filter((o) => o.write === 'insert');
  const updates = outcomes.filter((o) => o.write === 'update');
  if (inserts.length > 0) {
    const col = <T>(f: (o: Outcome) => T) => inserts.map(f);
    await client.query(
      `INSERT INTO transfers (id, tenant_id, idempotency_key, request_hash, kind, source_account_id,
         destination_account_id, destination_tenant_id, amount, currency, destination_amount,
         destination_currency, rate_numerator, rate_denominator, description, metadata, status, reason,
         command, created_at, finalized_at)
       SELECT u.*, $20::timestamptz, $20::timestamptz FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bytea[],
         $5::text[], $6::uuid[], $7::uuid[], $8::uuid[], $9::bigint[], $10::text[], $11::bigint[], $12::text[],
         $13::numeric[], $14::numeric[], $15::text[], $16::jsonb[], $17::text[], $18::text[], $19::jsonb[]) AS u`,
      [
        col((o) => o.command.transferId),
        col((o) => o.command.tenantId),
        col((o) => o.command.idempotencyKey),
        col((o) => o.command.requestHash),
        col((o) => o.command.kind),
        col((o) => o.command.sourceAccountId),
        col((o) => o.command.destinationAccountId),
        col((o) => o.destinationTenantId),
        col((o) => o.command.amount.toString()),
        col((o) => o.command.currency),
        col((o) => o.destinationAmount?.toString() ?? null),
        col((o) => o.destinationCurrency),
        col((o) => o.rate?.numerator.toString() ?? null),
        col((o) => o.rate?.denominator.toString() ?? null),
        col((o) => o.command.description),
        col((o) => (o.command.metadata ? JSON.stringify(o.command.metadata) : null)),
        col((o) => o.status),
        col((o) => o.reason),
        col((o) => JSON.stringify(o.command.raw)),
        now,
      ],
    );
  }
  if (updates.length > 0) {
    const col = <T>(f: (o: Outcome) => T) => updates.map(f);
    const updated = await client.query(
      `UPDATE transfers t SET status = u.status, reason = u.reason, destination_tenant_id = u.destination_tenant_id,
              destination_amount = u.destination_amount, destination_currency = u.destination_currency,
              rate_numerator = u.rate_numerator, rate_denominator = u.rate_denominator, finalized_at = $8
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::bigint[], $6::text[], $7::numeric[], $9::numeric[])
           AS u (id, status, reason, destination_tenant_id, destination_amount, destination_currency, rate_numerator, rate_denominator)
        WHERE t.id = u.id AND t.status = 'pending'`,
      [
        col((o) => o.command.transferId),
        col((o) => o.status),
        col((o) => o.reason),
        col((o) => o.destinationTenantId),
        col((o) => o.destinationAmount?.toString() ?? null),
        col((o) => o.destinationCurrency),
        col((o) => o.rate?.numerator.toString() ?? null),
        now,
        col((o) => o.rate?.denominator.toString() ?? null),
      ],
    );
    if (updated.rowCount !== updates.length)
      throw new LedgerInvariantError(`finalised ${updated.rowCount} of ${updates.length} pending transfers`);
  }
  const entries = outcomes.flatMap((o, i) => o.entries.map((e, j) => ({ ...e, id: entryIds[i]![j]! })));
  if (entries.length > 0) {
    await client.query(
      `INSERT INTO entries (id, transfer_id, account_id, currency, amount, balance_after, created_at)
       OVERRIDING SYSTEM VALUE
       SELECT u.*, $7::timestamptz FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::text[], $5::bigint[], $6::bigint[]) AS u`,
      [
        entries.map((e) => e.id),
        entries.map((e) => e.transferId),
        entries.map((e) => e.accountId),
        entries.map((e) => e.currency),
        entries.map((e) => e.amount.toString()),
        entries.map((e) => e.balanceAfter.toString()),
        now,
      ],
    );
  }
  if (balances.size > 0) {
    // Netted: one row update per touched account, however many transfers moved it.
    const ids = [...balances.keys()].sort();
    await client.query(
      `UPDATE accounts a SET balance = u.balance, updated_at = $3
         FROM unnest($1::uuid[], $2::bigint[]) AS u (id, balance) WHERE a.id = u.id`,
      [ids, ids.map((id) => balances.get(id)!.toString()), now],
    );
  }
  if (outbox.rows.length > 0) {
    await client.query(
      `INSERT INTO outbox (topic, key, payload, created_at)
       SELECT $1, u.key, u.payload, $4 FROM unnest($2::text[], $3::jsonb[]) AS u (key, payload)`,
      [outbox.topic, outbox.rows.map((r) => r.key), outbox.rows.map((r) => JSON.stringify(r.event)), now],
    );
  }
}
