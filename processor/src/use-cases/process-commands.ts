import { isSupportedCurrency, type CurrencyCode } from '../../../contracts/src';
import type { Logger } from '../../../platform/logger';
import { AMOUNT_MAX } from '../../../domain/money';
import { withTransaction, type Pool } from '../../../platform/postgres';
import { buildEvents } from '../domain/build-events';
import { decideBatch } from '../domain/decide-batch';
import { UNTRACED, type Command, type TraceparentOf } from '../domain/types';
import { PermanentCommandError } from '../domain/errors';
import { netDeltas, netHeldDeltas, reconcileBalances } from '../domain/reconcile-balances';
import * as store from '../data-access/ledger-store';
import { closeHolds, readHolds } from '../data-access/holds';
import { readOriginals, recordRefunds } from '../data-access/refunds';
import type { BatchObserver } from '../metrics';
import {
  currenciesOf,
  knownTenants,
  rememberSystemAccounts,
  systemAccountsOf,
  type ProcessorCache,
} from '../data-access/processor-cache';

export { createProcessorCache, type ProcessorCache } from '../data-access/processor-cache';

export interface ProcessorDeps {
  pool: Pool;
  logger: Logger;
  eventsTopic: string;
  cache: ProcessorCache;
  /** Told of each committed batch (metrics); optional so that tests may leave it out. */
  observer?: BatchObserver;
}

export interface BatchReport {
  committed: number;
  rejected: number;
  duplicates: number;
  /** Commands that can never be processed, for the dead-letter topic. */
  deadLetters: Array<{ command: Command; error: PermanentCommandError }>;
}

/**
 * Commits a batch of commands (in partition order) in one PostgreSQL transaction: deduplicates
 * on (tenant, idempotency key), sets aside commands whose transfer id another request holds,
 * creates the tenants' system accounts the batch needs, decides every command in memory
 * against the balances read, writes transfers, netted balances (row locks taken last, in id
 * order), entries and outbox events with set-based statements. Safe to call again with the
 * same commands: what committed before is recognised and skipped.
 * @throws LedgerInvariantError (a bug), StaleBalanceError, or database errors (see classifyFailure)
 */
export async function processCommands(
  deps: ProcessorDeps,
  commands: Command[],
  traceparentOf: TraceparentOf = UNTRACED,
): Promise<BatchReport> {
  const started_ms = performance.now();
  const report: BatchReport = { committed: 0, rejected: 0, duplicates: 0, deadLetters: [] };
  const accepted = await dropUnknownTenants(deps, commands, report);
  if (accepted.length === 0) return report;

  const now = new Date();
  const { outcomes, duplicates, systemIds } = await withTransaction(deps.pool, async (client) => {
    // The holds of the batch's follow-ups are locked with its own rows, in one order.
    const holdIds = [...new Set(accepted.flatMap((c) => (c.holdId ? [c.holdId] : [])))];
    // So are the transfers the batch's refunds act on: their refunded totals change under that lock.
    const refundOfIds = [...new Set(accepted.flatMap((c) => (c.refundOf ? [c.refundOf] : [])))];
    const { existing, transferIdOwners } = await store.lockExistingTransfers(client, accepted, [
      ...holdIds,
      ...refundOfIds,
    ]);
    const holds = await readHolds(client, holdIds);
    const originals = await readOriginals(client, refundOfIds);
    // What moves money: a command, or for a capture the hold it posts (a hold of this batch is
    // covered by its own command). Voids and expiries move none.
    type Mover = Pick<Command, 'tenantId' | 'kind' | 'currency' | 'amount' | 'destinationAccountId'>;
    const movers = accepted.flatMap((c): Mover[] => {
      // A refund moves the original's money backwards (a split's: along the leg refunded, or any
      // leg when the command names none): FX house accounts when it crossed currencies.
      if (c.refundOf) {
        const original = originals.get(c.refundOf);
        if (!original?.sourceAccountId) return [];
        const destinations = original.legs
          ? original.legs
              .filter((l, position) => c.refundLeg == null || c.refundLeg === (l.index ?? position))
              .map((l) => l.destinationCurrency)
          : [original.destinationCurrency];
        return destinations.flatMap((currency) =>
          currency
            ? [
                {
                  tenantId: c.tenantId,
                  kind: 'transfer' as const,
                  currency,
                  amount: 1n,
                  destinationAccountId: original.sourceAccountId,
                },
              ]
            : [],
        );
      }
      const mover = !c.holdId ? c : c.kind === 'capture' ? holds.get(c.holdId) : undefined;
      if (!mover) return [];
      // A split moves like one transfer per leg: the same system accounts and rates.
      const legs = mover.legs;
      if (legs)
        return legs.map((l) => ({
          tenantId: c.tenantId,
          kind: 'transfer' as const,
          currency: mover.currency,
          amount: l.amount,
          destinationAccountId: l.destinationAccountId,
        }));
      return [{ ...mover, tenantId: c.tenantId }];
    });
    const customerIds = [
      ...new Set(
        [...accepted, ...holds.values(), ...originals.values()]
          .flatMap((c) => [
            c.sourceAccountId,
            c.destinationAccountId,
            ...(c.legs ?? []).map((l) => l.destinationAccountId),
          ])
          .filter((id) => id !== null),
      ),
    ];
    const currencies = await currenciesOf(deps.cache, client, customerIds);
    const wanted: store.SystemAccountKey[] = [];
    const pairs: Array<[CurrencyCode, CurrencyCode]> = [];
    for (const c of movers) {
      // Rejected by decideBatch before any system account is touched: none is created for them.
      if (!isSupportedCurrency(c.currency) || c.amount <= 0n || c.amount > AMOUNT_MAX) continue;
      const { tenantId } = c;
      if (c.kind !== 'transfer') wanted.push({ tenantId, kind: 'world', currency: c.currency });
      const to = c.destinationAccountId ? currencies.get(c.destinationAccountId) : undefined;
      if (c.kind === 'transfer' && to && to !== c.currency) {
        wanted.push(
          { tenantId, kind: 'fx_house', currency: c.currency },
          { tenantId, kind: 'fx_house', currency: to },
        );
        pairs.push([c.currency, to]);
      }
    }
    const systemIds = await systemAccountsOf(deps.cache, client, wanted);
    const systemAccountId = (tenantId: string, kind: store.SystemKind, currency: CurrencyCode) => {
      const id = systemIds.get(store.systemAccountKey({ tenantId, kind, currency }));
      if (!id) throw new Error(`no ${kind} account for ${currency} of tenant ${tenantId}`);
      return id;
    };
    const needed = [...customerIds.filter((id) => currencies.has(id)), ...systemIds.values()];
    const accounts = await store.readAccounts(client, needed);
    const rates = await store.loadRates(client, pairs);
    const decision = decideBatch(accepted, {
      existing,
      transferIdOwners,
      accounts,
      systemAccountId,
      rate: (base, quote) => rates.get(`${base}:${quote}`),
      holds,
      refunds: originals,
      now,
    });
    await store.writeTransfers(client, decision.outcomes, now);
    await store.writeLegs(client, decision.outcomes);
    await recordRefunds(client, decision.outcomes, originals);
    // Row locks from here to commit only: the batch's heavy reads and writes happen unlocked.
    const deltas = netDeltas(decision.outcomes);
    const heldDeltas = netHeldDeltas(decision.outcomes);
    const { locked, entriesAt } = await store.applyBalanceDeltas(client, deltas, now, heldDeltas);
    reconcileBalances(decision.outcomes, accounts, deltas, locked, heldDeltas);
    // A hold closes at the time of its batch's entries (its capture's), so that what an account
    // held and what it had posted at any instant agree. After the holds of this batch were
    // written as held: a hold may close in its own batch.
    const closed = decision.outcomes.flatMap((o) => (o.holdAfter ? [o.holdAfter] : []));
    for (const hold of closed) hold.hold.resolvedAt = entriesAt;
    await closeHolds(client, closed);
    const entryIds = await store.insertEntries(client, decision.outcomes, entriesAt);
    await store.insertOutbox(
      client,
      deps.eventsTopic,
      buildEvents(decision.outcomes, entryIds, accounts, now, traceparentOf),
      now,
    );
    return { ...decision, systemIds };
  });
  rememberSystemAccounts(deps.cache, systemIds);
  deps.observer?.batchCommitted(outcomes, accepted.length, started_ms);

  for (const o of outcomes) {
    if (o.status === 'rejected') report.rejected++;
    else report.committed++;
  }
  for (const d of duplicates) {
    if (d.kind === 'same' || d.kind === 'expiry_skipped') report.duplicates++;
    else report.deadLetters.push({ command: d.command, error: duplicateError(d.kind, d.command) });
  }
  return report;
}

function duplicateError(
  kind: 'conflict' | 'transfer_id_conflict' | 'hold_not_found' | 'refund_of_not_found',
  command: Command,
): PermanentCommandError {
  // The payer's own payment, another tenant's transfer and a missing one are told apart to no one.
  if (kind === 'refund_of_not_found')
    return new PermanentCommandError(
      'refund_of_not_found',
      `no transfer ${command.refundOf} into an account of this tenant`,
    );
  // Another tenant's hold is not found either: a producer never learns it exists.
  if (kind === 'hold_not_found')
    return new PermanentCommandError('hold_not_found', `no hold ${command.holdId} of this tenant`);
  if (kind === 'conflict')
    return new PermanentCommandError(
      'idempotency_key_reused',
      `key ${command.idempotencyKey} was used with another request`,
    );
  // Says nothing of the request that holds the id: it may be another tenant's.
  return new PermanentCommandError(
    'transfer_id_conflict',
    `transfer_id ${command.transferId} is already used by another request; send a new one`,
  );
}

async function dropUnknownTenants(
  deps: ProcessorDeps,
  commands: Command[],
  report: BatchReport,
): Promise<Command[]> {
  const known = await knownTenants(
    deps.cache,
    deps.pool,
    commands.map((c) => c.tenantId),
  );
  return commands.filter((c) => {
    if (known.has(c.tenantId)) return true;
    report.deadLetters.push({
      command: c,
      error: new PermanentCommandError('unknown_tenant', `tenant ${c.tenantId}`),
    });
    return false;
  });
}
