import { Router } from 'express';
import {
  BALANCE_HISTORY_INTERVALS_MAX,
  BalanceHistoryQuery,
  BalanceQuery,
  currencyExponent,
  type Balance,
  type BalanceHistory,
} from '../../../../../contracts/src';
import { convertMinor, formatRate } from '../../../../../domain/money';
import type { Pool } from '../../../../../platform/postgres';
import { findOwnAccount } from '../../../data-access/accounts';
import { balanceAt, closingBalances } from '../../../data-access/balances-at';
import { heldAt } from '../../../data-access/held-at';
import { currentRate } from '../../../data-access/fx-rates';
import { ApiError, notFound } from '../api-error';
import { idParam } from '../params';
import { validate } from '../validate';

/**
 * Balances of one of the tenant's accounts: now or as of an instant (`?at=`), optionally
 * converted, and the closing balance of each hour or day of a range. Another tenant's account,
 * or a system one, is a 404 like one that does not exist.
 */
export function accountBalanceRoutes(deps: { pool: Pool }): Router {
  const router = Router();
  const own = async (tenantId: string, id: string) => {
    const row = await findOwnAccount(deps.pool, tenantId, id);
    if (!row) throw notFound('account');
    return row;
  };

  router.get('/accounts/:id/balance', async (req, res) => {
    const id = idParam(req);
    const q = validate(BalanceQuery, req.query, 'query');
    const account = await own(res.locals.tenantId, id);
    const [balance, held] =
      q.at === undefined
        ? [account.balance, account.held]
        : await Promise.all([balanceAt(deps.pool, id, q.at), heldAt(deps.pool, id, q.at)]);
    const body: Balance = {
      account_id: id,
      balance,
      held,
      available: (BigInt(balance) - BigInt(held)).toString(),
      currency: account.currency,
      as_of: q.at ?? null,
      converted: null,
    };
    if (q.currency && q.currency !== account.currency) {
      const rate = await currentRate(deps.pool, account.currency, q.currency);
      if (!rate)
        throw new ApiError(
          'fx_rate_unavailable',
          `no exchange rate from ${account.currency} to ${q.currency}`,
          [{ field: 'currency', reason: 'no rate set for this pair', code: 'fx_rate_unavailable' }],
        );
      const amount = convertMinor(
        BigInt(balance),
        currencyExponent(account.currency),
        currencyExponent(q.currency),
        rate.rate,
      );
      body.converted = {
        amount: amount.toString(),
        currency: q.currency,
        rate: formatRate(rate.rate),
        rounding: 'half_even',
        rate_updated_at: rate.updatedAt.toISOString(),
      };
    }
    res.json(body);
  });

  router.get('/accounts/:id/balance-history', async (req, res) => {
    const id = idParam(req);
    const q = validate(BalanceHistoryQuery, req.query, 'query');
    const account = await own(res.locals.tenantId, id);
    const rows = await closingBalances(deps.pool, {
      accountId: id,
      from: q.from,
      to: q.to,
      interval: q.interval,
      intervals_max: BALANCE_HISTORY_INTERVALS_MAX,
    });
    // The contract counts to the millisecond; PostgreSQL's count, in microseconds, is the exact one.
    if (rows.length === 0 || rows.length > BALANCE_HISTORY_INTERVALS_MAX)
      throw new ApiError('validation_failed', 'the request query is invalid', [
        rows.length === 0
          ? { field: 'to', reason: 'must be after from', code: 'range_empty' }
          : {
              field: 'to',
              reason: `at most ${BALANCE_HISTORY_INTERVALS_MAX} intervals of an ${q.interval} from \`from\``,
              code: 'too_many_intervals',
            },
      ]);
    const body: BalanceHistory = {
      account_id: id,
      currency: account.currency,
      interval: q.interval,
      data: rows,
    };
    res.json(body);
  });
  return router;
}
