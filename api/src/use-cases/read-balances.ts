import {
  BALANCE_HISTORY_INTERVALS_MAX,
  currencyExponent,
  type Balance,
  type BalanceHistory,
  type BalanceHistoryQuery,
  type BalanceQuery,
} from '../../../contracts/src';
import { convertMinor, formatRate } from '../../../domain/money';
import type { Pool } from '../../../platform/postgres';
import { findOwnAccount } from '../data-access/accounts';
import { balanceAt, closingBalances } from '../data-access/balances-at';
import { currentRate } from '../data-access/fx-rates';
import { heldAt } from '../data-access/held-at';
import { BalanceHistoryRangeInvalid, FxRateUnavailable, ResourceNotFound } from '../domain/errors';

/**
 * One of the tenant's accounts' balance, held and available amounts: now, or as of an instant
 * (`at`); with `currency`, also converted at the current rate into it (half-even, in its minor
 * units).
 * @throws ResourceNotFound (no such account, a system account, or another tenant's),
 *   FxRateUnavailable (no rate set from the account's currency to `currency`)
 */
export async function readBalance(
  pool: Pool,
  tenantId: string,
  accountId: string,
  query: BalanceQuery,
): Promise<Balance> {
  const account = await ownAccount(pool, tenantId, accountId);
  const [balance, held] =
    query.at === undefined
      ? [account.balance, account.held]
      : await Promise.all([balanceAt(pool, accountId, query.at), heldAt(pool, accountId, query.at)]);
  const body: Balance = {
    account_id: accountId,
    balance,
    held,
    available: (BigInt(balance) - BigInt(held)).toString(),
    currency: account.currency,
    as_of: query.at ?? null,
    converted: null,
  };
  if (query.currency && query.currency !== account.currency) {
    const rate = await currentRate(pool, account.currency, query.currency);
    if (!rate) throw new FxRateUnavailable(account.currency, query.currency);
    body.converted = {
      amount: convertMinor(
        BigInt(balance),
        currencyExponent(account.currency),
        currencyExponent(query.currency),
        rate.rate,
      ).toString(),
      currency: query.currency,
      rate: formatRate(rate.rate),
      rounding: 'half_even',
      rate_updated_at: rate.updatedAt.toISOString(),
    };
  }
  return body;
}

/**
 * The closing balance of each hour or day from `from` to `to` of one of the tenant's accounts.
 * @throws ResourceNotFound (as readBalance), BalanceHistoryRangeInvalid (no interval in the range,
 *   or more than BALANCE_HISTORY_INTERVALS_MAX)
 */
export async function readBalanceHistory(
  pool: Pool,
  tenantId: string,
  accountId: string,
  query: BalanceHistoryQuery,
): Promise<BalanceHistory> {
  const account = await ownAccount(pool, tenantId, accountId);
  const rows = await closingBalances(pool, {
    accountId,
    from: query.from,
    to: query.to,
    interval: query.interval,
    intervals_max: BALANCE_HISTORY_INTERVALS_MAX,
  });
  // The contract counts to the millisecond; PostgreSQL's count, in microseconds, is the exact one.
  if (rows.length === 0) throw new BalanceHistoryRangeInvalid('range_empty', 'must be after from');
  if (rows.length > BALANCE_HISTORY_INTERVALS_MAX)
    throw new BalanceHistoryRangeInvalid(
      'too_many_intervals',
      `at most ${BALANCE_HISTORY_INTERVALS_MAX} intervals of an ${query.interval} from \`from\``,
    );
  return { account_id: accountId, currency: account.currency, interval: query.interval, data: rows };
}

/** Another tenant's account, or a system one, is not found like one that does not exist. */
async function ownAccount(pool: Pool, tenantId: string, accountId: string) {
  const account = await findOwnAccount(pool, tenantId, accountId);
  if (!account) throw new ResourceNotFound('account', accountId);
  return account;
}
