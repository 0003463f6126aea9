import { Router } from 'express';
import {
  CreateAccountRequest,
  ListAccountsQuery,
  StatementQuery,
  UpdateAccountRequest,
  type Account,
} from '../../../../../contracts/src';
import { newId } from '../../../../../platform/ids';
import type { Pool } from '../../../../../platform/postgres';
import {
  findOwnAccount,
  insertAccount,
  listOwnAccounts,
  statement,
  type AccountRow,
} from '../../../data-access/accounts';
import { updateAccount } from '../../../use-cases/update-account';
import { notFound } from '../api-error';
import { cursorPart, decodeCursor, encodeCursor } from '../pagination';
import { idParam } from '../params';
import { validate } from '../validate';

export const accountView = (r: AccountRow): Account => ({
  id: r.id,
  name: r.name,
  currency: r.currency,
  status: r.status,
  balance: r.balance,
  held: r.held,
  available: (BigInt(r.balance) - BigInt(r.held)).toString(),
  metadata: r.metadata,
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
});

export function accountRoutes(deps: { pool: Pool }): Router {
  const router = Router();
  const own = async (tenantId: string, id: string) => {
    const row = await findOwnAccount(deps.pool, tenantId, id);
    if (!row) throw notFound('account');
    return row;
  };

  router.post('/accounts', async (req, res) => {
    const body = validate(CreateAccountRequest, req.body);
    const row = await insertAccount(deps.pool, {
      id: newId(),
      tenantId: res.locals.tenantId,
      name: body.name,
      currency: body.currency,
      metadata: body.metadata ?? {},
    });
    res.status(201).location(`/v1/accounts/${row.id}`).json(accountView(row));
  });

  router.get('/accounts', async (req, res) => {
    const q = validate(ListAccountsQuery, req.query, 'query');
    const after = decodeCursor(q.cursor, [cursorPart.uuid])?.[0];
    const rows = await listOwnAccounts(deps.pool, res.locals.tenantId, after, q.limit + 1);
    const page = rows.slice(0, q.limit);
    res.json({
      data: page.map(accountView),
      next_cursor: rows.length > q.limit ? encodeCursor([page[page.length - 1]!.id]) : null,
    });
  });

  router.get('/accounts/:id', async (req, res) => {
    res.json(accountView(await own(res.locals.tenantId, idParam(req))));
  });

  router.patch('/accounts/:id', async (req, res) => {
    const id = idParam(req);
    const changes = validate(UpdateAccountRequest, req.body);
    res.json(accountView(await updateAccount(deps.pool, res.locals.tenantId, id, changes)));
  });

  router.get('/accounts/:id/entries', async (req, res) => {
    const id = idParam(req);
    const q = validate(StatementQuery, req.query, 'query');
    await own(res.locals.tenantId, id);
    const afterId = decodeCursor(q.cursor, [cursorPart.serial])?.[0];
    const rows = await statement(deps.pool, {
      accountId: id,
      afterId,
      from: q.from,
      to: q.to,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    res.json({
      data: page.map((e) => ({
        id: e.id,
        transfer_id: e.transfer_id,
        direction: e.amount.startsWith('-') ? 'debit' : 'credit',
        amount: e.amount,
        currency: e.currency,
        balance_after: e.balance_after,
        created_at: e.created_at.toISOString(),
      })),
      next_cursor: rows.length > q.limit ? encodeCursor([page[page.length - 1]!.id]) : null,
    });
  });
  return router;
}
