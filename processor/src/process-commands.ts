import { isSupportedCurrency, type CurrencyCode } from '../../contracts/src';
import type { Logger } from '../../platform/logger';
import { withTransaction, type Pool } from '../../platform/postgres';
import { buildEvents } from './domain/build-events';
import { decideBatch } from './domain/decide-batch';
import type { Command } from './domain/types';
import { PermanentCommandError } from './domain/errors';
import { netDeltas, reconcileBalances } from './domain/reconcile-balances';
import * as store from './data-access/ledger-store';
import type { BatchObserver } from './metrics';

export interface ProcessorDeps {
  pool: Pool;
  logger: Logger;
  eventsTopic: string;
  /** `${kind}:${currency}` -> id of the world / fx_house account. */
  systemAccounts: Map<string, string>;
  cache: ProcessorCache;
  /** Told of each committed batch (metrics); optional so that tests may leave it out. */
  observer?: BatchObserver;
}

/** Facts that never change once true (a tenant exists, an account's currency), kept in memory. */
export interface ProcessorCache {
  tenants: Set<string>;
  currencies: Map<string, CurrencyCode>;
}

export const createProcessorCache = (): ProcessorCache => ({ tenants: new Set(), currencies: new Map() });

export interface BatchReport {
  committed: number;
  rejected: number;
  duplicates: number;
  /** Commands that can never be processed, for the dead-letter topic. */
  deadLetters: Array<{ command: Command; error: PermanentCommandError }>;
}

const CACHE_ENTRIES_MAX = 200_000;

/**
 * Commits a batch of commands (in partition order) in one PostgreSQL transaction: deduplicates
 * on (tenant, idempotency key), decides every command in memory against the balances read,
 * writes transfers, netted balances (row locks taken last, in id order), entries and outbox
 * events with set-based statements. Safe to call again with
 * the same commands: what committed before is recognised and skipped.
 * @throws LedgerInvariantError (a bug), StaleBalanceError, or database errors (see classifyFailure)
 */
export async function processCommands(deps: ProcessorDeps, commands: Command[]): Promise<BatchReport> {
  const started_ms = performance.now();
  const report: BatchReport = { committed: 0, rejected: 0, duplicates: 0, deadLetters: [] };
  const accepted = await dropUnknownTenants(deps, commands, report);
  if (accepted.length === 0) return report;

  const now = new Date();
  const { outcomes, duplicates } = await withTransaction(deps.pool, async (client) => {
    const existing = await store.lockExistingTransfers(client, accepted);
    const customerIds = [
      ...new Set(
        accepted.flatMap((c) => [c.sourceAccountId, c.destinationAccountId]).filter((id) => id !== null),
      ),
    ];
    const currencies = await currenciesOf(deps.cache, client, customerIds);
    const systemId = (kind: 'world' | 'fx_house', currency: CurrencyCode) => {
      const id = deps.systemAccounts.get(`${kind}:${currency}`);
      if (!id) throw new Error(`no ${kind} account for ${currency}`);
      return id;
    };
    const needed = new Set(customerIds.filter((id) => currencies.has(id)));
    const pairs: Array<[CurrencyCode, CurrencyCode]> = [];
    for (const c of accepted) {
      if (!isSupportedCurrency(c.currency)) continue; // rejected by decideBatch, touches nothing
      if (c.kind !== 'transfer') needed.add(systemId('world', c.currency));
      const to = c.destinationAccountId ? currencies.get(c.destinationAccountId) : undefined;
      if (c.kind === 'transfer' && to && to !== c.currency) {
        needed.add(systemId('fx_house', c.currency)).add(systemId('fx_house', to));
        pairs.push([c.currency, to]);
      }
    }
    const accounts = await store.readAccounts(client, [...needed]);
    const rates = await store.loadRates(client, pairs);
    const decision = decideBatch(accepted, {
      existing,
      accounts,
      systemAccountId: systemId,
      rate: (base, quote) => rates.get(`${base}:${quote}`),
      now,
    });
    await store.writeTransfers(client, decision.outcomes, now);
    // Row locks from here to commit only: the batch's heavy reads and writes happen unlocked.
    const deltas = netDeltas(decision.outcomes);
    const locked = await store.applyBalanceDeltas(client, deltas, now);
    reconcileBalances(decision.outcomes, accounts, deltas, locked);
    const entryIds = await store.insertEntries(client, decision.outcomes, now);
    await store.insertOutbox(
      client,
      deps.eventsTopic,
      buildEvents(decision.outcomes, entryIds, accounts, now),
      now,
    );
    return decision;
  });
  deps.observer?.batchCommitted(outcomes, accepted.length, started_ms);

  for (const o of outcomes) {
    if (o.status === 'committed') report.committed++;
    else report.rejected++;
  }
  for (const d of duplicates) {
    if (d.kind === 'same') report.duplicates++;
    else
      report.deadLetters.push({
        command: d.command,
        error: new PermanentCommandError(
          'idempotency_key_reused',
          `key ${d.command.idempotencyKey} was used with another request`,
        ),
      });
  }
  return report;
}

async function dropUnknownTenants(
  deps: ProcessorDeps,
  commands: Command[],
  report: BatchReport,
): Promise<Command[]> {
  const knownTenants = deps.cache.tenants;
  const unknown = [...new Set(commands.map((c) => c.tenantId).filter((id) => !knownTenants.has(id)))];
  if (unknown.length > 0) {
    const client = await deps.pool.connect();
    try {
      for (const id of await store.existingTenants(client, unknown)) knownTenants.add(id);
    } finally {
      client.release();
    }
  }
  return commands.filter((c) => {
    if (knownTenants.has(c.tenantId)) return true;
    report.deadLetters.push({
      command: c,
      error: new PermanentCommandError('unknown_tenant', `tenant ${c.tenantId}`),
    });
    return false;
  });
}

async function currenciesOf(
  cache: ProcessorCache,
  client: Parameters<typeof store.accountCurrencies>[0],
  ids: string[],
): Promise<Map<string, CurrencyCode>> {
  const currencyCache = cache.currencies;
  const missing = ids.filter((id) => !currencyCache.has(id));
  if (missing.length > 0) {
    if (currencyCache.size > CACHE_ENTRIES_MAX) currencyCache.clear();
    for (const [id, currency] of await store.accountCurrencies(client, missing))
      currencyCache.set(id, currency);
  }
  return new Map(ids.filter((id) => currencyCache.has(id)).map((id) => [id, currencyCache.get(id)!]));
}
