import type { HoldCaptureCommandPayloadV1, HoldVoidCommandPayloadV1 } from '../../../contracts/src';
import { holdActionFingerprint } from '../../../domain/fingerprint';
import { INT64_MAX, parseAmount } from '../../../domain/money';
import { newId } from '../../../platform/ids';
import { findVisibleTransfer } from '../data-access/transfers';
import { CaptureExceedsHold, PartialCaptureOfSplit, HoldNotFound } from '../domain/errors';
import { acceptPending, type AcceptDeps, type Submitted } from './accept-pending';

export type HoldAction = { kind: 'capture'; amount: string | number | undefined } | { kind: 'void' };

/**
 * Accepts a capture or void of a hold: a follow-up with its own transfer id and idempotency key,
 * recorded pending and published like any submission, keyed by the hold's source account so it
 * is ordered with the hold and everything else done to it. Whether the hold is still open is the
 * processor's to decide, in partition order: a second capture, or a void after a capture, is
 * accepted here and rejected there (`hold_not_open`).
 * @throws HoldNotFound (no hold of this tenant by that id: another tenant's, a payee's view of it,
 *   a transfer with automatic capture), CaptureExceedsHold, IdempotencyKeyReused
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
  // A Kafka command whose amount was beyond BIGINT (recorded rejected, with the amount as sent:
  // migrations/0008) never reserved anything: no hold, here as in the processor (readHolds).
  if (!hold || hold.tenantId !== tenantId || !hold.hold || hold.amount > INT64_MAX)
    throw new HoldNotFound(holdId);
  if (requested !== null && requested > hold.amount) throw new CaptureExceedsHold(hold.amount);
  // Checked again by the processor, for direct Kafka producers.
  if (hold.legs && requested !== null && requested !== hold.amount)
    throw new PartialCaptureOfSplit(hold.amount);

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
