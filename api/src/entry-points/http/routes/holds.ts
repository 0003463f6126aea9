import { Router, type Request } from 'express';
import { CaptureHoldRequest, IdempotencyKey, VoidHoldRequest } from '../../../../../contracts/src';
import { ApiError } from '../api-error';
import { idParam } from '../params';
import { validate } from '../validate';
import type { AcceptDeps } from '../../../use-cases/accept-pending';
import { submitHoldAction, type HoldAction } from '../../../use-cases/submit-hold-action';

/** Capture and void of a hold: `202` + the follow-up transfer, whose outcome a GET tells. */
export function holdRoutes(deps: AcceptDeps & { publicPath: (path: string) => string }): Router {
  const router = Router();

  const idempotencyKeyOf = (req: Request) => {
    const key = req.get('Idempotency-Key');
    if (key === undefined)
      throw new ApiError(
        'idempotency_key_missing',
        'send an Idempotency-Key header with every capture and void',
      );
    return validate(IdempotencyKey, key, 'Idempotency-Key');
  };

  const follow = (path: 'capture' | 'void', action: (req: Request) => HoldAction) =>
    router.post(`/transfers/:id/${path}`, async (req, res) => {
      const holdId = idParam(req);
      const key = idempotencyKeyOf(req);
      const { transfer, replayed } = await submitHoldAction(
        deps,
        res.locals.tenantId,
        key,
        holdId,
        action(req),
      );
      if (replayed) res.set('Idempotency-Replayed', 'true');
      res
        .status(202)
        .location(deps.publicPath(`/v1/transfers/${transfer.id}`))
        .json(transfer);
    });

  // The body is optional for both: no body is the same as `{}`.
  follow('capture', (req) => {
    const body = validate(CaptureHoldRequest, req.body ?? {});
    return { kind: 'capture', amount: body.amount };
  });
  follow('void', (req) => {
    validate(VoidHoldRequest, req.body ?? {});
    return { kind: 'void' };
  });
  return router;
}
