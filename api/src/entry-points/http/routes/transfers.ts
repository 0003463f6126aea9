import { Router, type Request } from 'express';
import {
  CreateTransferRequest,
  GetTransferQuery,
  IdempotencyKey,
  ListTransfersQuery,
  WAIT_MAX_S,
} from '../../../../../contracts/src';
import type { Pool } from '../../../../../platform/postgres';
import { sleep } from '../../../../../platform/retry';
import { toTransferView, type TransferRecord } from '../../../../../domain/transfer-view';
import { findVisibleTransfer, listVisibleTransfers } from '../../../data-access/transfers';
import { ApiError, notFound } from '../api-error';
import { cursorPart, decodeCursor, encodeCursor } from '../pagination';
import { idParam } from '../params';
import { validate } from '../validate';
import { submitTransfer, type SubmitDeps } from '../../../use-cases/submit-transfer';

const WAIT_POLL_MS = [20, 40, 80, 150, 250];

export function transferRoutes(
  deps: SubmitDeps & { pool: Pool; publicPath: (path: string) => string },
): Router {
  const router = Router();

  router.post('/transfers', async (req, res) => {
    const key = req.get('Idempotency-Key');
    if (key === undefined)
      throw new ApiError('idempotency_key_missing', 'send an Idempotency-Key header with every transfer');
    const idempotencyKey = validate(IdempotencyKey, key, 'Idempotency-Key');
    const body = validate(CreateTransferRequest, req.body);
    const { transfer, replayed } = await submitTransfer(deps, res.locals.tenantId, idempotencyKey, body);
    if (replayed) res.set('Idempotency-Replayed', 'true');
    res
      .status(202)
      .location(deps.publicPath(`/v1/transfers/${transfer.id}`))
      .json(transfer);
  });

  router.get('/transfers/:id', async (req, res) => {
    const id = idParam(req);
    const q = validate(GetTransferQuery, req.query, 'query');
    const waitS = q.wait ?? preferWait(req);
    const deadline = Date.now() + waitS * 1000;
    let transfer = await findVisibleTransfer(deps.pool, res.locals.tenantId, id);
    for (let i = 0; transfer?.status === 'pending' && Date.now() < deadline && !req.socket.destroyed; i++) {
      await sleep(Math.min(WAIT_POLL_MS[Math.min(i, WAIT_POLL_MS.length - 1)]!, deadline - Date.now()));
      transfer = await findVisibleTransfer(deps.pool, res.locals.tenantId, id);
    }
    if (!transfer) throw notFound('transfer');
    if (waitS > 0) res.set('Preference-Applied', `wait=${waitS}`);
    res.json(toTransferView(transfer));
  });

  router.get('/transfers', async (req, res) => {
    const q = validate(ListTransfersQuery, req.query, 'query');
    const cursor = decodeCursor(q.cursor, [cursorPart.timestamp, cursorPart.uuid]);
    const rows: TransferRecord[] = await listVisibleTransfers(deps.pool, res.locals.tenantId, {
      accountId: q.account_id,
      status: q.status,
      kind: q.kind,
      refundOf: q.refund_of,
      from: q.from,
      to: q.to,
      before: cursor ? { createdAt: cursor[0]!, id: cursor[1]! } : undefined,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    res.json({
      data: page.map(toTransferView),
      next_cursor:
        rows.length > q.limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null,
    });
  });
  return router;
}

/** RFC 7240 `Prefer: wait=N`, capped. */
function preferWait(req: Request): number {
  const match = /(?:^|[,;\s])wait=(\d+)/i.exec(req.get('Prefer') ?? '');
  return match ? Math.min(Number(match[1]), WAIT_MAX_S) : 0;
}
