import type { CurrencyCode, RejectionReason } from '../../../contracts/src';
import { currencyExponent, isSupportedCurrency } from '../../../contracts/src';
import { AMOUNT_MAX, INT64_MAX, INT64_MIN, convertMinor, type Rate } from '../../../domain/money';
import type { AccountKind, AccountState, Command, EntryDraft, Outcome } from './types';
import { LedgerInvariantError } from './errors';

/** What a batch is decided against: the accounts, system accounts and rates it loaded. */
export interface LedgerView {
  /** Every account the batch may touch, with its balance and held amount before the batch. */
  accounts: Map<string, AccountState>;
  /** The tenant's own world / fx_house account of a currency (each tenant has its own). */
  systemAccountId: (
    tenantId: string,
    kind: Exclude<AccountKind, 'customer'>,
    currency: CurrencyCode,
  ) => string;
  rate: (base: CurrencyCode, quote: CurrencyCode) => Rate | undefined;
}

/** A final rejection of one command (an outcome, not an error). */
export class Rejection {
  constructor(readonly reason: RejectionReason) {}
}

/**
 * Balances and held amounts as the batch moves them, in partition order: what each command is
 * decided against. `available` (balance - held) is what a transfer or a new hold may draw on.
 */
export class RunningBalances {
  readonly balances = new Map<string, bigint>();
  readonly held = new Map<string, bigint>();
  balanceOf = (a: AccountState): bigint => this.balances.get(a.id) ?? a.balance;
  heldOf = (a: AccountState): bigint => this.held.get(a.id) ?? a.held;
  availableOf = (a: AccountState): bigint => this.balanceOf(a) - this.heldOf(a);

  /** Applies the legs, returning the entries with their running balances. */
  post(transferId: string, legs: Leg[]): EntryDraft[] {
    return legs.map((leg): EntryDraft => {
      const after = this.balanceOf(leg.account) + leg.amount;
      this.balances.set(leg.account.id, after);
      return {
        transferId,
        accountId: leg.account.id,
        currency: leg.account.currency,
        amount: leg.amount,
        balanceAfter: after,
      };
    });
  }

  /** Reserves (positive) or releases (negative) an amount on an account. */
  changeHeld(account: AccountState, amount: bigint): void {
    const after = this.heldOf(account) + amount;
    if (after < 0n) throw new LedgerInvariantError(`account ${account.id} would hold ${after}`);
    this.held.set(account.id, after);
  }
}

export interface Leg {
  account: AccountState;
  amount: bigint;
}

export interface Plan {
  legs: Leg[];
  /** The debited customer account (null for a deposit). */
  source: AccountState | null;
  destination: Pick<Outcome, 'destinationTenantId' | 'destinationAmount' | 'destinationCurrency' | 'rate'>;
}

/**
 * Decides whether a command may move its money now, and how: authorization, account status,
 * currency, funds (`available` of the source, plus `reserved` when the money was set aside for
 * it by a hold), conversion at the current rate, 64-bit bounds. Moves nothing.
 * @throws Rejection, or LedgerInvariantError when the legs do not balance (a bug)
 */
export function planTransfer(
  c: Pick<
    Command,
    'kind' | 'tenantId' | 'transferId' | 'sourceAccountId' | 'destinationAccountId' | 'amount' | 'currency'
  >,
  view: LedgerView,
  running: RunningBalances,
  reserved = 0n,
): Plan {
  if (!isSupportedCurrency(c.currency)) throw new Rejection('unsupported_currency');
  if (c.amount <= 0n || c.amount > AMOUNT_MAX) throw new Rejection('amount_out_of_range');
  // The paying tenant's own system accounts: their 64-bit bounds are that tenant's alone.
  const system = (kind: 'world' | 'fx_house', currency: CurrencyCode) =>
    mustHave(
      view.accounts.get(view.systemAccountId(c.tenantId, kind, currency)),
      `${kind} ${currency} of tenant ${c.tenantId}`,
    );

  const source = c.sourceAccountId ? customerAccount(view, c.sourceAccountId) : null;
  const destination = c.destinationAccountId ? customerAccount(view, c.destinationAccountId) : null;
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
  if (source && running.availableOf(source) + reserved < c.amount) throw new Rejection('insufficient_funds');

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
    rate = view.rate(c.currency, to) ?? null;
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
    const after = running.balanceOf(leg.account) + leg.amount;
    if (after > INT64_MAX || after < INT64_MIN) throw new Rejection('amount_out_of_range');
  }
  assertBalanced(c.transferId, legs);
  const credited = c.kind === 'withdrawal' ? null : destination!;
  return {
    legs,
    source,
    destination: {
      destinationTenantId: credited?.tenantId ?? null,
      destinationAmount: credited ? destinationAmount : null,
      destinationCurrency: credited?.currency ?? null,
      rate,
    },
  };
}

function customerAccount(view: LedgerView, id: string): AccountState {
  const account = view.accounts.get(id);
  if (!account || account.kind !== 'customer') throw new Rejection('account_not_found');
  return account;
}

function mustHave<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new LedgerInvariantError(`system account ${what} was not loaded`);
  return value;
}

/** The entries of a transfer sum to zero in each currency: checked on every transfer, not only in tests. */
export function assertBalanced(transferId: string, legs: Leg[]): void {
  const sums = new Map<string, bigint>();
  for (const leg of legs) sums.set(leg.account.currency, (sums.get(leg.account.currency) ?? 0n) + leg.amount);
  for (const [currency, sum] of sums) {
    if (sum !== 0n)
      throw new LedgerInvariantError(`transfer ${transferId} leaves ${sum} ${currency} unbalanced`);
  }
}
