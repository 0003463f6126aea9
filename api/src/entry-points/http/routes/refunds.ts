import { Router } from 'express';
import { IdempotencyKey, RefundTransferRequest } from '../../../../../contracts/src';
import { ApiError } from '../api-error';
import { idParam } from '../params';
import { validate } from '../validate';
import type { AcceptDeps } from '../../../use-cases/accept-pending';
import type { AccountDirectory } from '../../../data-access/account-directory';
import { refundTransfer } from '../../../use-cases/refund-transfer';

/** Refunds of a transfer: `202` + the refund (a transfer of kind refund), whose outcome a GET tells. */
export function refundRoutes(
  deps: AcceptDeps & { accounts: AccountDirectory; publicPath: (path: string) => string },
): Router {
  const router = Router();
  router.post('/transfers/:id/refunds', async (req, res) => {
    const originalId = idParam(req);
    const key = req.get('Idempotency-Key');
    if (key === undefined)
      throw new ApiError('idempotency_key_missing', 'send an Idempotency-Key header with every refund');
    const idempotencyKey = validate(IdempotencyKey, key, 'Idempotency-Key');
    // The body is optional: no body is the same as `{}` (refund all that remains).
    const body = validate(RefundTransferRequest, req.body ?? {});
    const { transfer, replayed } = await refundTransfer(
      deps,
      res.locals.tenantId,
      idempotencyKey,
      originalId,
      body,
    );
    if (replayed) res.set('Idempotency-Replayed', 'true');
    res
      .status(202)
      .location(deps.publicPath(`/v1/transfers/${transfer.id}`))
      .json(transfer);
  });
  return router;
}
