import type { CurrencyCode } from '../../../contracts/src';
import { currencyExponent, isSupportedCurrency } from '../../../contracts/src';
import { AMOUNT_MAX, INT64_MAX, INT64_MIN, convertMinor } from '../../../domain/money';
import type { SplitLeg } from '../../../domain/fingerprint';
import type { TransferLegRecord } from '../../../domain/transfer-view';
import type { RejectionReason } from '../../../contracts/src';
import {
  assertBalanced,
  planTransfer,
  Rejection,
  type Leg,
  type LedgerView,
  type Plan,
  type RunningBalances,
} from './plan-transfer';
import type { AccountState, Command } from './types';
import { LedgerInvariantError } from './errors';

/** A rejection caused by one leg of a split: its index in the request's legs. */
export class LegRejection extends Rejection {
  constructor(
    reason: RejectionReason,
    readonly leg: number,
  ) {
    super(reason);
  }
}

export type SplitPlan = Plan & { splitLegs: TransferLegRecord[] };

type Planned = Pick<
  Command,
  'kind' | 'tenantId' | 'transferId' | 'sourceAccountId' | 'destinationAccountId' | 'amount' | 'currency'
> & { legs?: SplitLeg[] | null | undefined };

/** A split when the command has legs, else the plain transfer: see planSplit and planTransfer. */
export function planAny(
  c: Planned,
  view: LedgerView,
  running: RunningBalances,
  reserved = 0n,
): Plan & { splitLegs: TransferLegRecord[] | null } {
  if (c.legs) return planSplit({ ...c, legs: c.legs }, view, running, reserved);
  return { ...planTransfer(c, view, running, reserved), splitLegs: null };
}

/**
 * A split transfer: one source debited the sum of the legs, each leg credited to its own
 * destination, converted through the payer tenant's FX house accounts at the rate in force when
 * its currency differs (banker's rounding per leg, as convertMinor does). Every leg is decided
 * like a transfer of its own (the destination a customer account, active, or `account_not_found`
 * when it is another tenant's; never the source; named once); funds are checked on the sum.
 * The postings are netted per account, since a transfer moves each account once (the FX house
 * account of a currency serves every leg in it), then checked balanced per currency.
 * @throws LegRejection naming the failing leg, Rejection for the whole (source, funds, currency),
 *   LedgerInvariantError when the postings do not balance or an FX house account was not loaded (bugs)
 */
export function planSplit(
  c: Planned & { legs: SplitLeg[] },
  view: LedgerView,
  running: RunningBalances,
  reserved = 0n,
): SplitPlan {
  const from = c.currency;
  if (!isSupportedCurrency(from)) throw new Rejection('unsupported_currency');
  c.legs.forEach((leg, i) => {
    if (leg.amount <= 0n || leg.amount > AMOUNT_MAX) throw new LegRejection('amount_out_of_range', i);
  });
  const sum = c.legs.reduce((s, leg) => s + leg.amount, 0n);
  if (sum !== c.amount || sum > AMOUNT_MAX) throw new Rejection('amount_out_of_range');
  const source = c.sourceAccountId ? customer(view, c.sourceAccountId) : undefined;
  if (!source) throw new Rejection('account_not_found');
  if (source.tenantId !== c.tenantId) throw new Rejection('account_not_owned');
  if (source.status !== 'active')
    throw new Rejection(source.status === 'frozen' ? 'account_frozen' : 'account_closed');
  if (from !== source.currency) throw new Rejection('currency_mismatch');

  const system = (currency: CurrencyCode): AccountState => {
    const account = view.accounts.get(view.systemAccountId(c.tenantId, 'fx_house', currency));
    // The processor loads the FX house accounts of every leg's pair before deciding: a bug otherwise.
    if (!account)
      throw new LedgerInvariantError(`fx_house ${currency} of tenant ${c.tenantId} was not loaded`);
    return account;
  };
  const postings: Leg[] = [{ account: source, amount: -sum }];
  const seen = new Set<string>();
  const splitLegs = c.legs.map((leg, i): TransferLegRecord => {
    const destination = customer(view, leg.destinationAccountId);
    if (!destination) throw new LegRejection('account_not_found', i);
    if (destination.id === source.id || seen.has(destination.id)) throw new LegRejection('same_account', i);
    seen.add(destination.id);
    if (destination.status !== 'active') {
      // As for a plain transfer: another business's frozen or closed account looks missing.
      if (destination.tenantId !== c.tenantId) throw new LegRejection('account_not_found', i);
      throw new LegRejection(destination.status === 'frozen' ? 'account_frozen' : 'account_closed', i);
    }
    const to = destination.currency;
    if (to === from) {
      postings.push({ account: destination, amount: leg.amount });
      return { ...leg, destinationAmount: leg.amount, destinationCurrency: to, rate: null };
    }
    const rate = view.rate(from, to);
    if (!rate) throw new LegRejection('fx_rate_unavailable', i);
    const converted = convertMinor(leg.amount, currencyExponent(from), currencyExponent(to), rate);
    if (converted <= 0n || converted > AMOUNT_MAX) throw new LegRejection('amount_out_of_range', i);
    postings.push(
      { account: system(from), amount: leg.amount },
      { account: system(to), amount: -converted },
      { account: destination, amount: converted },
    );
    return { ...leg, destinationAmount: converted, destinationCurrency: to, rate };
  });
  if (running.availableOf(source) + reserved < sum) throw new Rejection('insufficient_funds');

  const legs = netPerAccount(postings);
  for (const leg of legs) {
    const after = running.balanceOf(leg.account) + leg.amount;
    if (after > INT64_MAX || after < INT64_MIN) throw new Rejection('amount_out_of_range');
  }
  assertBalanced(c.transferId, legs);
  return {
    legs,
    source,
    destination: {
      destinationTenantId: null,
      destinationAmount: null,
      destinationCurrency: null,
      rate: null,
    },
    splitLegs,
  };
}

/** One posting per account, in the order first met; accounts netted to zero move nothing. */
export function netPerAccount(postings: Leg[]): Leg[] {
  const net = new Map<string, Leg>();
  for (const p of postings) {
    const prior = net.get(p.account.id);
    net.set(p.account.id, { account: p.account, amount: (prior?.amount ?? 0n) + p.amount });
  }
  return [...net.values()].filter((leg) => leg.amount !== 0n);
}

function customer(view: LedgerView, id: string): AccountState | undefined {
  const account = view.accounts.get(id);
  return account && account.kind === 'customer' ? account : undefined;
}
