import type { CurrencyCode, RejectionReason } from '../../../contracts/src';
import { currencyExponent, isSupportedCurrency } from '../../../contracts/src';
import { AMOUNT_MAX, INT64_MAX, INT64_MIN, convertMinor, type Rate } from '../../../domain/money';
import type {
  AccountKind,
  AccountState,
  BatchDecision,
  Command,
  Duplicate,
  EntryDraft,
  ExistingTransfer,
  Outcome,
} from './types';
import { LedgerInvariantError } from './errors';

export interface BatchState {
  /** Keyed by `${tenantId}\n${idempotencyKey}`. */
  existing: Map<string, ExistingTransfer>;
  /**
   * Transfer ids of the batch already on record, with the idempotency scope of the row that
   * holds each: a command bringing such an id for another scope can never be written.
   */
  transferIdOwners: Map<string, string>;
  /** Every account the batch may touch, locked, with its balance before the batch. */
  accounts: Map<string, AccountState>;
  /** The tenant's own world / fx_house account of a currency (each tenant has its own). */
  systemAccountId: (
    tenantId: string,
    kind: Exclude<AccountKind, 'customer'>,
    currency: CurrencyCode,
  ) => string;
  rate: (base: CurrencyCode, quote: CurrencyCode) => Rate | undefined;
  now: Date;
}

export const idempotencyScope = (tenantId: string, key: string) => `${tenantId}\n${key}`;

class Rejection {
  constructor(readonly reason: RejectionReason) {}
}

/**
 * Decides a batch of commands in partition order, entirely in memory: deduplicates, checks
 * accounts and funds against running balances, converts currencies and drafts the entries.
 * A command whose transfer id is already held by another (tenant, idempotency key), on record
 * or earlier in the batch, is a `transfer_id_conflict` duplicate: it can never be written.
 * Pure: the caller loads the state (with row locks) and writes the decision.
 * @throws LedgerInvariantError when the drafted entries of a transfer do not balance (a bug).
 */
export function decideBatch(commands: Command[], state: BatchState): BatchDecision {
  const balances = new Map<string, bigint>();
  const balanceOf = (a: AccountState) => balances.get(a.id) ?? a.balance;
  const seen = new Map<string, Buffer>(
    [...state.existing].filter(([, t]) => t.status !== 'pending').map(([k, t]) => [k, t.requestHash]),
  );
  const idOwners = new Map(state.transferIdOwners);
  const outcomes: Outcome[] = [];
  const duplicates: Duplicate[] = [];

  for (const received of commands) {
    let command = received;
    const scope = idempotencyScope(command.tenantId, command.idempotencyKey);
    const done = seen.get(scope);
    if (done) {
      duplicates.push({ command, kind: done.equals(command.requestHash) ? 'same' : 'conflict' });
      continue;
    }
    const pending = state.existing.get(scope);
    if (pending && !pending.requestHash.equals(command.requestHash)) {
      duplicates.push({ command, kind: 'conflict' });
      continue;
    }
    // The same request under another transfer id (a producer re-sending what the API accepted):
    // it finalises the transfer on record, whose id the client already holds.
    if (pending && pending.id !== command.transferId) command = { ...command, transferId: pending.id };
    const owner = idOwners.get(command.transferId);
    if (owner !== undefined && owner !== scope) {
      duplicates.push({ command: received, kind: 'transfer_id_conflict' });
      continue;
    }
    idOwners.set(command.transferId, scope);
    seen.set(scope, command.requestHash);

    const base = {
      command,
      write: pending ? ('update' as const) : ('insert' as const),
      createdAt: pending?.createdAt ?? state.now,
    };
    try {
      const plan = plan_(command, state, balanceOf);
      const entries = plan.legs.map((leg): EntryDraft => {
        const after = balanceOf(leg.account) + leg.amount;
        balances.set(leg.account.id, after);
        return {
          transferId: command.transferId,
          accountId: leg.account.id,
          currency: leg.account.currency,
          amount: leg.amount,
          balanceAfter: after,
        };
      });
      outcomes.push({ ...base, status: 'committed', reason: null, ...plan.destination, entries });
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      outcomes.push({
        ...base,
        status: 'rejected',
        reason: error.reason,
        destinationTenantId: null,
        destinationAmount: null,
        destinationCurrency: null,
        rate: null,
        entries: [],
      });
    }
  }
  return { outcomes, duplicates, balances };
}

interface Leg {
  account: AccountState;
  amount: bigint;
}

interface Plan {
  legs: Leg[];
  destination: Pick<Outcome, 'destinationTenantId' | 'destinationAmount' | 'destinationCurrency' | 'rate'>;
}

function plan_(c: Command, state: BatchState, balanceOf: (a: AccountState) => bigint): Plan {
  if (!isSupportedCurrency(c.currency)) throw new Rejection('unsupported_currency');
  if (c.amount <= 0n || c.amount > AMOUNT_MAX) throw new Rejection('amount_out_of_range');
  // The paying tenant's own system accounts: their 64-bit bounds are that tenant's alone.
  const system = (kind: 'world' | 'fx_house', currency: CurrencyCode) =>
    mustHave(
      state.accounts.get(state.systemAccountId(c.tenantId, kind, currency)),
      `${kind} ${currency} of tenant ${c.tenantId}`,
    );

  const source = c.sourceAccountId ? customerAccount(state, c.sourceAccountId) : null;
  const destination = c.destinationAccountId ? customerAccount(state, c.destinationAccountId) : null;
  if (source && source.tenantId !== c.tenantId) throw new Rejection('account_not_owned');
  // A deposit stands in for money arriving from outside for the tenant: only into its own accounts.
  if (c.kind === 'deposit' && destination && destination.tenantId !== c.tenantId)
    throw new Rejection('account_not_owned');
  if (source && destination && source.id === destination.id) throw new Rejection('same_account');
  for (const account of [source, destination]) {
    if (!account || account.status === 'active') continue;
    // Whether another business's account is frozen or closed is none of the payer's business:
    // to the payer it cannot be paid, as if it did not exist. Its own keep the precise reason.
    if (account.tenantId !== c.tenantId) throw new Rejection('account_not_found');
    throw new Rejection(account.status === 'frozen' ? 'account_frozen' : 'account_closed');
  }
  const debited = source ?? destination!;
  if (c.currency !== debited.currency) throw new Rejection('currency_mismatch');
  if (source && balanceOf(source) < c.amount) throw new Rejection('insufficient_funds');

  let legs: Leg[];
  let destinationAmount = c.amount;
  let rate: Rate | null = null;
  if (c.kind === 'deposit') {
    legs = [
      { account: system('world', c.currency), amount: -c.amount },
      { account: destination!, amount: c.amount },
    ];
  } else if (c.kind === 'withdrawal') {
    legs = [
      { account: source!, amount: -c.amount },
      { account: system('world', c.currency), amount: c.amount },
    ];
  } else if (source!.currency === destination!.currency) {
    legs = [
      { account: source!, amount: -c.amount },
      { account: destination!, amount: c.amount },
    ];
  } else {
    const to = destination!.currency;
    rate = state.rate(c.currency, to) ?? null;
    if (!rate) throw new Rejection('fx_rate_unavailable');
    destinationAmount = convertMinor(c.amount, currencyExponent(c.currency), currencyExponent(to), rate);
    if (destinationAmount <= 0n || destinationAmount > AMOUNT_MAX) throw new Rejection('amount_out_of_range');
    legs = [
      { account: source!, amount: -c.amount },
      { account: system('fx_house', c.currency), amount: c.amount },
      { account: system('fx_house', to), amount: -destinationAmount },
      { account: destination!, amount: destinationAmount },
    ];
  }
  for (const leg of legs) {
    const after = balanceOf(leg.account) + leg.amount;
    if (after > INT64_MAX || after < INT64_MIN) throw new Rejection('amount_out_of_range');
  }
  assertBalanced(c.transferId, legs);
  const credited = c.kind === 'withdrawal' ? null : destination!;
  return {
    legs,
    destination: {
      destinationTenantId: credited?.tenantId ?? null,
      destinationAmount: credited ? destinationAmount : null,
      destinationCurrency: credited?.currency ?? null,
      rate,
    },
  };
}

function customerAccount(state: BatchState, id: string): AccountState {
  const account = state.accounts.get(id);
  if (!account || account.kind !== 'customer') throw new Rejection('account_not_found');
  return account;
}

function mustHave<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new LedgerInvariantError(`system account ${what} was not loaded`);
  return value;
}

/** The entries of a transfer sum to zero in each currency: checked on every transfer, not only in tests. */
function assertBalanced(transferId: string, legs: Leg[]): void {
  const sums = new Map<string, bigint>();
  for (const leg of legs) sums.set(leg.account.currency, (sums.get(leg.account.currency) ?? 0n) + leg.amount);
  for (const [currency, sum] of sums) {
    if (sum !== 0n)
      throw new LedgerInvariantError(`transfer ${transferId} leaves ${sum} ${currency} unbalanced`);
  }
}
