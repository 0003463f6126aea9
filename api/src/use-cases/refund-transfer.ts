import type { RefundCommandPayloadV1 } from '../../../contracts/src';
import { AMOUNT_MAX, parseAmount } from '../../../domain/money';
import {
  legTotals,
  refundableRemaining,
  refundFingerprint,
  REFUNDABLE_KINDS,
  resolveRefundLeg,
  type RefundTotals,
} from '../../../domain/refunds';
import { newId } from '../../../platform/ids';
import type { TransferLegRecord } from '../../../domain/transfer-view';
import { findVisibleTransfer } from '../data-access/transfers';
import { idempotencyKeyUsed } from '../data-access/idempotency-keys';
import type { AccountDirectory } from '../data-access/account-directory';
import {
  RefundExceedsOriginal,
  RefundLegInvalid,
  RefundOfNotFound,
  TransferNotRefundable,
} from '../domain/errors';
import { acceptPending, type AcceptDeps, type Submitted } from './accept-pending';

/**
 * Accepts a refund of a transfer: a transfer of its own (kind refund, `refund_of` the original),
 * debiting the original destination (a split's: the refunded leg's) and crediting the original
 * source, with its own id and idempotency key, recorded pending and published like any
 * submission, keyed by the account it debits so that every refund of the transfer (of the leg) is
 * decided in order on one partition. What is checked here is checked again by the processor,
 * which alone decides against the original's refunded totals under its lock: two refunds accepted
 * here together may still be capped there (`refund_exceeds_original`), and the refunder's funds
 * are the processor's to check. The processor takes the same steps in the same order for a
 * Kafka producer's refund (processor/src/domain/decide-refund.ts).
 * @throws RefundOfNotFound (no such transfer, another tenant's, or one this tenant only paid),
 *   TransferNotRefundable (a deposit, withdrawal, hold or follow-up; not committed yet, or
 *   rejected), RefundLegInvalid (a split: no leg given while the tenant owns several, or one it
 *   does not own; a leg given for a transfer that is no split), RefundExceedsOriginal (more than
 *   remains, or nothing remains), IdempotencyKeyReused
 */
export async function refundTransfer(
  deps: AcceptDeps & { accounts: AccountDirectory },
  tenantId: string,
  idempotencyKey: string,
  originalId: string,
  request: { amount?: string | number | undefined; leg?: number | undefined },
): Promise<Submitted> {
  const requested = request.amount !== undefined ? parseAmount(request.amount) : null;
  // A split's payee sees the split restricted to its own legs (findVisibleTransfer): all it needs.
  const original = await findVisibleTransfer(deps.pool, tenantId, originalId);
  if (!original) throw new RefundOfNotFound(originalId);
  // Deposits and withdrawals are only ever their own tenant's: saying they cannot be refunded
  // tells that tenant nothing it does not know.
  if (!REFUNDABLE_KINDS.includes(original.kind))
    throw new TransferNotRefundable(`a transfer of kind ${original.kind} cannot be refunded`);
  // Only a payee refunds (of a split: the payee of a leg, along that leg); to the payer (or anyone
  // else) it is as if there were no such transfer.
  const owners = await deps.accounts.lookup(
    original.legs?.map((l) => l.destinationAccountId) ??
      (original.destinationAccountId ? [original.destinationAccountId] : []),
  );
  const owns = (accountId: string | null) =>
    accountId !== null && owners.get(accountId)?.tenantId === tenantId;
  const owned = (original.legs ?? []).flatMap((l, position) =>
    owns(l.destinationAccountId) ? [l.index ?? position] : [],
  );
  if (original.legs ? owned.length === 0 : !owns(original.destinationAccountId))
    throw new RefundOfNotFound(originalId);
  let leg: TransferLegRecord | null = null;
  if (original.legs) {
    const resolved = resolveRefundLeg(owned, request.leg ?? null);
    if ('problem' in resolved) throw new RefundLegInvalid(resolved.problem);
    leg = original.legs.find((l, position) => (l.index ?? position) === resolved.leg)!;
  } else if (request.leg !== undefined) throw new RefundLegInvalid('refund_leg_not_owned');
  if (original.status !== 'committed')
    throw new TransferNotRefundable(
      original.status === 'pending'
        ? 'the transfer is not committed yet; refund it once it is'
        : `a ${original.status} transfer cannot be refunded${original.hold ? ' (refund its capture)' : ''}`,
    );
  const totals: RefundTotals = leg
    ? legTotals(leg)
    : {
        amount: original.amount,
        destinationAmount: original.destinationAmount ?? original.amount,
        refundedAmount: original.refunded?.amount ?? 0n,
        refundedDestinationAmount: original.refunded?.destinationAmount ?? 0n,
      };
  const remaining = refundableRemaining(totals);
  const exceeds =
    remaining === 0n || (requested !== null && (requested > remaining || requested > AMOUNT_MAX));
  // A replay of a refund that since used up the original answers as replays do (below), not 400.
  if (exceeds && !(await idempotencyKeyUsed(deps.pool, tenantId, idempotencyKey)))
    throw new RefundExceedsOriginal(remaining);

  const refundLeg = leg ? (leg.index ?? 0) : null;
  const id = newId();
  const command: RefundCommandPayloadV1 = {
    transfer_id: id,
    tenant_id: tenantId,
    idempotency_key: idempotencyKey,
    refund_of: originalId,
    ...(requested !== null ? { amount: requested.toString() } : {}),
    // The leg as resolved, so that the processor decides the very refund accepted here.
    ...(refundLeg !== null ? { leg: refundLeg } : {}),
  };
  return acceptPending(deps, {
    id,
    tenantId,
    idempotencyKey,
    requestHash: refundFingerprint(originalId, requested, refundLeg),
    kind: 'refund',
    sourceAccountId: leg ? leg.destinationAccountId : original.destinationAccountId,
    destinationAccountId: original.sourceAccountId,
    // "All that remains" as of now; the processor records what remains when it decides.
    amount: requested ?? (remaining > 0n ? remaining : totals.destinationAmount),
    currency: leg
      ? (leg.destinationCurrency ?? original.currency)
      : (original.destinationCurrency ?? original.currency),
    description: null,
    metadata: null,
    expiresAt: null,
    holdId: null,
    refundOf: originalId,
    refundLeg,
    command,
  });
}
