import type { HoldCaptureCommandPayloadV1, HoldVoidCommandPayloadV1 } from '../../../contracts/src';
import { holdActionFingerprint } from '../../../domain/fingerprint';
import { AMOUNT_MAX, parseAmount } from '../../../domain/money';
import { newId } from '../../../platform/ids';
import { findVisibleTransfer } from '../data-access/transfers';
import { ApiError, notFound } from '../http/api-error';
import { acceptPending, type AcceptDeps, type Submitted } from './accept-pending';

export type HoldAction = { kind: 'capture'; amount: string | number | undefined } | { kind: 'void' };

/**
 * Accepts a capture or void of a hold: a follow-up with its own transfer id and idempotency key,
 * recorded pending and published like any submission, keyed by the hold's source account so it
 * is ordered with the hold and everything else done to it. Whether the hold is still open is the
 * processor's to decide, in partition order: a second capture, or a void after a capture, is
 * accepted here and rejected there (`hold_not_open`).
 * @throws ApiError not_found (no hold of this tenant by that id: another tenant's, a payee's view
 *   of it, a transfer with automatic capture), validation_failed (capture above the held amount),
 *   idempotency_key_reused
 */
export async function submitHoldAction(
  deps: AcceptDeps,
  tenantId: string,
  idempotencyKey: string,
  holdId: string,
  action: HoldAction,
): Promise<Submitted> {
  const requested =
    action.kind === 'capture' && action.amount !== undefined ? parseAmount(action.amount) : null;
  const hold = await findVisibleTransfer(deps.pool, tenantId, holdId);
  // Only the payer acts on its hold; the payee, who may read it, cannot tell it from a missing one.
  if (!hold || hold.tenantId !== tenantId || !hold.hold) throw notFound('transfer');
  if (requested !== null && (requested > hold.amount || requested > AMOUNT_MAX))
    throw new ApiError('validation_failed', 'the request body is invalid', [
      { field: 'amount', reason: `at most the held amount, ${hold.amount}`, code: 'capture_exceeds_hold' },
    ]);

  const id = newId();
  const base = { transfer_id: id, tenant_id: tenantId, idempotency_key: idempotencyKey, hold_id: holdId };
  const command: HoldCaptureCommandPayloadV1 | HoldVoidCommandPayloadV1 =
    requested !== null ? { ...base, amount: requested.toString() } : base;
  return acceptPending(deps, {
    id,
    tenantId,
    idempotencyKey,
    requestHash: holdActionFingerprint(action.kind, holdId, requested),
    kind: action.kind,
    sourceAccountId: hold.sourceAccountId,
    destinationAccountId: hold.destinationAccountId,
    amount: requested ?? hold.amount,
    currency: hold.currency,
    description: null,
    metadata: null,
    expiresAt: null,
    holdId,
    command,
  });
}
