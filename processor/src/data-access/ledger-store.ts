import type { CurrencyCode } from '../../../contracts/src';
import type { PoolClient } from '../../../platform/postgres';
import { INT64_MAX, invertRate, rateOf, type Rate } from '../../../domain/money';
import type { AccountKind, AccountState, Command, ExistingTransfer, Outcome } from '../domain/types';
import { idempotencyScope } from '../domain/decide-batch';
import type { OutboxRow } from '../domain/build-events';
import { encodeOutboxLines, OUTBOX_CHANNEL } from '../domain/outbox-lines';
import { LedgerInvariantError } from '../domain/errors';
import type { LockedAccount } from '../domain/reconcile-balances';

export type SystemKind = Exclude<AccountKind, 'customer'>;

/** A tenant's system account of a kind and currency. */
export interface SystemAccountKey {
  tenantId: string;
  kind: SystemKind;
  currency: CurrencyCode;
}

export const systemAccountKey = (k: SystemAccountKey) => `${k.tenantId}:${k.kind}:${k.currency}`;

/**
 * Ids of the tenants' system accounts asked for, creating those that do not exist yet (see
 * migrations/0007_system_accounts_per_tenant.sql). Keyed by systemAccountKey. Created rows are
 * the transaction's own until it commits; a concurrent creation of the same account makes the
 * INSERT wait for the other transaction and then skip the row, which the second read sees.
 */
export async function ensureSystemAccounts(
  client: PoolClient,
  wanted: SystemAccountKey[],
): Promise<Map<string, string>> {
  const found = await readSystemAccounts(client, wanted);
  const missing = wanted.filter((k) => !found.has(systemAccountKey(k)));
  if (missing.length === 0) return found;
  // In one order (tenant, kind, currency) for every batch, so two creating batches cannot deadlock.
  missing.sort((a, b) => systemAccountKey(a).localeCompare(systemAccountKey(b)));
  await client.query(
    `INSERT INTO accounts (id, tenant_id, kind, currency, name)
     SELECT gen_random_uuid(), w.tenant_id, w.kind, w.currency, w.kind || ' ' || w.currency
       FROM unnest($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS w (tenant_id, kind, currency, ord)
      ORDER BY w.ord
     ON CONFLICT (tenant_id, kind, currency) WHERE kind <> 'customer' DO NOTHING`,
    [missing.map((k) => k.tenantId), missing.map((k) => k.kind), missing.map((k) => k.currency)],
  );
  for (const [key, id] of await readSystemAccounts(client, missing)) found.set(key, id);
  const still = missing.find((k) => !found.has(systemAccountKey(k)));
  if (still) throw new LedgerInvariantError(`system account ${systemAccountKey(still)} was not created`);
  return found;
}

async function readSystemAccounts(client: PoolClient, wanted: SystemAccountKey[]) {
  const { rows } = await client.query<{
    id: string;
    tenant_id: string;
    kind: SystemKind;
    currency: CurrencyCode;
  }>(
    "SELECT id, tenant_id, kind, currency FROM accounts WHERE tenant_id = ANY($1::uuid[]) AND kind <> 'customer'",
    [[...new Set(wanted.map((k) => k.tenantId))]],
  );
  const keys = new Set(wanted.map(systemAccountKey));
  return new Map(
    rows
      .map(
        (r) =>
          [systemAccountKey({ tenantId: r.tenant_id, kind: r.kind, currency: r.currency }), r.id] as const,
      )
      .filter(([key]) => keys.has(key)),
  );
}

/** Which of these tenants exist. */
export async function existingTenants(client: PoolClient, ids: string[]): Promise<Set<string>> {
  const { rows } = await client.query<{ id: string }>('SELECT id FROM tenants WHERE id = ANY($1::uuid[])', [
    ids,
  ]);
  return new Set(rows.map((r) => r.id));
}

/**
 * Transfers already recorded for the commands' idempotency keys, locked so that a concurrent
 * duplicate waits; and the owners (idempotency scope) of rows already holding one of the
 * commands' transfer ids, so that a command reusing another request's id is recognised before
 * anything is written. `= ANY` on both columns walks the unique index; exact pairs are kept in
 * memory. One statement for both: they are mostly the same rows (a REST command's pending row).
 * Another tenant's row holding a reused id is locked too, harmlessly, until the batch commits.
 */
export async function lockExistingTransfers(
  client: PoolClient,
  commands: Command[],
  /** The holds the batch's follow-ups act on: locked in the same statement, so in the same order. */
  holdIds: string[] = [],
): Promise<{ existing: Map<string, ExistingTransfer>; transferIdOwners: Map<string, string> }> {
  const { rows } = await client.query<{
    id: string;
    tenant_id: string;
    idempotency_key: string;
    status: ExistingTransfer['status'];
    request_hash: Buffer;
    created_at: Date;
    expires_at: Date | null;
  }>(
    // Not `(...) OR id = ANY(...)`: an OR lets the planner scan the tenant's whole index range.
    `SELECT id, tenant_id, idempotency_key, status, request_hash, created_at, expires_at FROM transfers
      WHERE id IN (SELECT id FROM transfers WHERE tenant_id = ANY($1::uuid[]) AND idempotency_key = ANY($2::text[])
                   UNION ALL SELECT unnest($3::uuid[]))
      ORDER BY id FOR UPDATE`,
    [
      [...new Set(commands.map((c) => c.tenantId))],
      commands.map((c) => c.idempotencyKey),
      [...commands.map((c) => c.transferId), ...holdIds],
    ],
  );
  const wanted = new Set(commands.map((c) => idempotencyScope(c.tenantId, c.idempotencyKey)));
  const ids = new Set(commands.map((c) => c.transferId));
  const existing = new Map<string, ExistingTransfer>();
  const transferIdOwners = new Map<string, string>();
  for (const r of rows) {
    const scope = idempotencyScope(r.tenant_id, r.idempotency_key);
    if (wanted.has(scope))
      existing.set(scope, {
        id: r.id,
        status: r.status,
        requestHash: r.request_hash,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
      });
    if (ids.has(r.id)) transferIdOwners.set(r.id, scope);
  }
  return { existing, transferIdOwners };
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

/** State of the accounts as last committed, without locks: the batch is decided on these. */
export async function readAccounts(client: PoolClient, ids: string[]): Promise<Map<string, AccountState>> {
  const { rows } = await client.query<{
    id: string;
    tenant_id: string;
    kind: AccountKind;
    currency: CurrencyCode;
    status: AccountState['status'];
    balance: string;
    held: string;
  }>('SELECT id, tenant_id, kind, currency, status, balance, held FROM accounts WHERE id = ANY($1::uuid[])', [
    ids,
  ]);
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
        held: BigInt(r.held),
      },
    ]),
  );
}

/**
 * Applies the batch's netted balance and held changes, taking the row locks late (held only
 * until commit) and in id order (one order for every batch, so concurrent partitions never
 * deadlock). FOR NO KEY UPDATE leaves other transactions' foreign-key checks on these rows
 * unblocked. Returns each account's balance, held amount and status after the change, and the
 * time of the batch's entries: `now`, or the latest previous change of these accounts if that is
 * later. `now` was taken before the locks, and another batch (another partition, or a processor
 * whose clock is ahead) may have committed on these accounts since with a later time; the entries
 * of an account must never go back in time, so that "entries created at or before an instant" is
 * a prefix of its statement (balances at a point in time rely on it). updated_at holds that time.
 */
export async function applyBalanceDeltas(
  client: PoolClient,
  deltas: Map<string, bigint>,
  now: Date,
  heldDeltas: Map<string, bigint> = new Map(),
) {
  const ids = [...new Set([...deltas.keys(), ...heldDeltas.keys()])].sort();
  const locked = new Map<string, LockedAccount>();
  if (ids.length === 0) return { locked, entriesAt: now };
  const previous = await client.query<{ updated_at: Date }>(
    'SELECT updated_at FROM accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE',
    [ids],
  );
  const entriesAt = new Date(Math.max(now.getTime(), ...previous.rows.map((r) => r.updated_at.getTime())));
  const { rows } = await client.query<{
    id: string;
    balance: string;
    held: string;
    status: AccountState['status'];
  }>(
    `UPDATE accounts a SET balance = a.balance + u.delta, held = a.held + u.held_delta, updated_at = $4
       FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS u (id, delta, held_delta) WHERE a.id = u.id
     RETURNING a.id, a.balance, a.held, a.status`,
    [
      ids,
      ids.map((id) => (deltas.get(id) ?? 0n).toString()),
      ids.map((id) => (heldDeltas.get(id) ?? 0n).toString()),
      entriesAt,
    ],
  );
  for (const r of rows)
    locked.set(r.id, { balance: BigInt(r.balance), held: BigInt(r.held), status: r.status });
  return { locked, entriesAt };
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

/** Records the outcomes: new transfers inserted, pending ones (written by the API) finalised. */
export async function writeTransfers(client: PoolClient, outcomes: Outcome[], now: Date): Promise<void> {
  const inserts = outcomes.filter((o) => o.write === 'insert');
  const updates = outcomes.filter((o) => o.write === 'update');
  if (inserts.length > 0) {
    const col = <T>(f: (o: Outcome) => T) => inserts.map(f);
    // An amount beyond BIGINT (only ever a rejection) is kept in amount_as_sent instead: see
    // migrations/0008_amounts_beyond_bigint.sql.
    const fits = (o: Outcome) => o.command.amount <= INT64_MAX;
    await client.query(
      `INSERT INTO transfers (id, tenant_id, idempotency_key, request_hash, kind, source_account_id,
         destination_account_id, destination_tenant_id, amount, currency, destination_amount,
         destination_currency, rate_numerator, rate_denominator, description, metadata, status, reason,
         amount_as_sent, expires_at, hold_id, refund_of, refund_leg, created_at, finalized_at)
       SELECT u.*, $20::timestamptz, $20::timestamptz FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bytea[],
         $5::text[], $6::uuid[], $7::uuid[], $8::uuid[], $9::bigint[], $10::text[], $11::bigint[], $12::text[],
         $13::numeric[], $14::numeric[], $15::text[], $16::jsonb[], $17::text[], $18::text[], $19::numeric[],
         $21::timestamptz[], $22::uuid[], $23::uuid[], $24::int[]) AS u`,
      [
        col((o) => o.command.transferId),
        col((o) => o.command.tenantId),
        col((o) => o.command.idempotencyKey),
        col((o) => o.command.requestHash),
        col((o) => o.command.kind),
        col((o) => o.command.sourceAccountId),
        col((o) => o.command.destinationAccountId),
        col((o) => o.destinationTenantId),
        col((o) => (fits(o) ? o.command.amount.toString() : null)),
        col((o) => o.command.currency),
        col((o) => o.destinationAmount?.toString() ?? null),
        col((o) => o.destinationCurrency),
        col((o) => o.rate?.numerator.toString() ?? null),
        col((o) => o.rate?.denominator.toString() ?? null),
        col((o) => o.command.description),
        col((o) => (o.command.metadata ? JSON.stringify(o.command.metadata) : null)),
        col((o) => o.status),
        col((o) => o.reason),
        col((o) => (fits(o) ? null : o.command.amount.toString())),
        now,
        col((o) => o.expiresAt),
        col((o) => o.command.holdId),
        col((o) => o.command.refundOf ?? null),
        col((o) => o.command.refundLeg ?? null),
      ],
    );
  }
  if (updates.length > 0) {
    const col = <T>(f: (o: Outcome) => T) => updates.map(f);
    const updated = await client.query(
      `UPDATE transfers t SET status = u.status, reason = u.reason, destination_tenant_id = u.destination_tenant_id,
              destination_amount = u.destination_amount, destination_currency = u.destination_currency,
              rate_numerator = u.rate_numerator, rate_denominator = u.rate_denominator, finalized_at = $9
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::bigint[], $6::text[], $7::numeric[], $8::numeric[])
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
        col((o) => o.rate?.denominator.toString() ?? null),
        now,
      ],
    );
    if (updated.rowCount !== updates.length)
      throw new LedgerInvariantError(`finalised ${updated.rowCount} of ${updates.length} pending transfers`);
  }
}

/**
 * Records the legs of split outcomes (transfer_legs, migrations/0013_split_transfers.sql) and
 * which leg failed a rejected one. The API wrote the legs of a split it accepted, as asked, with
 * its pending row: the decision completes them (converted amounts, rates) under the row's lock.
 * A split decided held or committed records each leg's payee (the owner of its destination,
 * migrations/0014), who may then read it.
 */
export async function writeLegs(client: PoolClient, outcomes: Outcome[]): Promise<void> {
  const rows = outcomes.flatMap((o) => (o.legs ?? []).map((leg, position) => ({ o, leg, position })));
  if (rows.length > 0)
    await client.query(
      `INSERT INTO transfer_legs (transfer_id, position, destination_account_id, amount, destination_amount,
         destination_currency, rate_numerator, rate_denominator, destination_tenant_id)
       SELECT u.transfer_id, u.position, u.destination_account_id, u.amount, u.destination_amount,
              u.destination_currency, u.rate_numerator, u.rate_denominator, CASE WHEN u.paid THEN a.tenant_id END
         FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::bigint[], $5::bigint[], $6::text[],
                     $7::numeric[], $8::numeric[], $9::boolean[])
           AS u (transfer_id, position, destination_account_id, amount, destination_amount, destination_currency,
                 rate_numerator, rate_denominator, paid)
         LEFT JOIN accounts a ON a.id = u.destination_account_id
       ON CONFLICT (transfer_id, position) DO UPDATE SET destination_amount = excluded.destination_amount,
         destination_currency = excluded.destination_currency, rate_numerator = excluded.rate_numerator,
         rate_denominator = excluded.rate_denominator, destination_tenant_id = excluded.destination_tenant_id`,
      [
        rows.map((r) => r.o.command.transferId),
        rows.map((r) => r.position),
        rows.map((r) => r.leg.destinationAccountId),
        rows.map((r) => r.leg.amount.toString()),
        rows.map((r) => r.leg.destinationAmount?.toString() ?? null),
        rows.map((r) => r.leg.destinationCurrency),
        rows.map((r) => r.leg.rate?.numerator.toString() ?? null),
        rows.map((r) => r.leg.rate?.denominator.toString() ?? null),
        rows.map((r) => r.o.status !== 'rejected'),
      ],
    );
  const failed = outcomes.filter((o) => o.failedLeg !== null && o.failedLeg !== undefined);
  if (failed.length > 0)
    await client.query(
      'UPDATE transfers t SET failed_leg = u.leg FROM unnest($1::uuid[], $2::int[]) AS u (id, leg) WHERE t.id = u.id',
      [failed.map((o) => o.command.transferId), failed.map((o) => o.failedLeg)],
    );
}

/**
 * Inserts the entries; returns their ids by position (`ids[i][j]` is entry j of outcome i). An
 * entry is identified by (transfer, account): a transfer never moves one account twice.
 */
export async function insertEntries(client: PoolClient, outcomes: Outcome[], now: Date): Promise<string[][]> {
  const entries = outcomes.flatMap((o) => o.entries);
  if (entries.length === 0) return outcomes.map(() => []);
  const { rows } = await client.query<{ id: string; transfer_id: string; account_id: string }>(
    `INSERT INTO entries (transfer_id, account_id, currency, amount, balance_after, created_at)
     SELECT u.*, $6::timestamptz FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::bigint[]) AS u
     RETURNING id, transfer_id, account_id`,
    [
      entries.map((e) => e.transferId),
      entries.map((e) => e.accountId),
      entries.map((e) => e.currency),
      entries.map((e) => e.amount.toString()),
      entries.map((e) => e.balanceAfter.toString()),
      now,
    ],
  );
  const ids = new Map(rows.map((r) => [`${r.transfer_id}/${r.account_id}`, r.id]));
  return outcomes.map((o) =>
    o.entries.map((e) => {
      const id = ids.get(`${e.transferId}/${e.accountId}`);
      if (!id) throw new LedgerInvariantError(`entry of ${e.transferId} on ${e.accountId} was not inserted`);
      return id;
    }),
  );
}

/**
 * The batch's events as one outbox row (see migrations/0003_outbox_batches.sql), and a
 * notification to the relay of its topic (the payload), delivered when (and only if) the
 * transaction commits.
 */
export async function insertOutbox(
  client: PoolClient,
  topic: string,
  rows: OutboxRow[],
  now: Date,
): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `WITH batch AS (
       INSERT INTO outbox_batches (topic, event_count, events, created_at) VALUES ($1, $2, $3, $4) RETURNING id
     )
     SELECT pg_notify('${OUTBOX_CHANNEL}', $1) FROM batch`,
    [topic, rows.length, encodeOutboxLines(rows), now],
  );
}
