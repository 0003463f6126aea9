import { Router } from 'express';
import { BalanceHistoryQuery, BalanceQuery } from '../../../../../contracts/src';
import type { Pool } from '../../../../../platform/postgres';
import { readBalance, readBalanceHistory } from '../../../use-cases/read-balances';
import { idParam } from '../params';
import { validate } from '../validate';

/**
 * Balances of one of the tenant's accounts: now or as of an instant (`?at=`), optionally
 * converted, and the closing balance of each hour or day of a range. Another tenant's account,
 * or a system one, is a 404 like one that does not exist.
 */
export function accountBalanceRoutes(deps: { pool: Pool }): Router {
  const router = Router();

  router.get('/accounts/:id/balance', async (req, res) => {
    const id = idParam(req);
    const query = validate(BalanceQuery, req.query, 'query');
    res.json(await readBalance(deps.pool, res.locals.tenantId, id, query));
  });

  router.get('/accounts/:id/balance-history', async (req, res) => {
    const id = idParam(req);
    const query = validate(BalanceHistoryQuery, req.query, 'query');
    res.json(await readBalanceHistory(deps.pool, res.locals.tenantId, id, query));
  });
  return router;
}
