import type { RefundCommandPayloadV1 } from '../../../contracts/src';
import { AMOUNT_MAX, parseAmount } from '../../../domain/money';
import { refundFingerprint, REFUNDABLE_KINDS } from '../../../domain/refunds';
import { newId } from '../../../platform/ids';
import type { TransferRecord } from '../../../domain/transfer-view';
import { findVisibleTransfer } from '../data-access/transfers';
import { idempotencyKeyUsed } from '../data-access/idempotency-keys';
import type { AccountDirectory } from '../data-access/account-directory';
import { RefundExceedsOriginal, RefundOfNotFound, TransferNotRefundable } from '../domain/errors';
import { acceptPending, type AcceptDeps, type Submitted } from './accept-pending';

/**
 * Accepts a refund of a transfer: a transfer of its own (kind refund, `refund_of` the original),
 * debiting the original destination and crediting the original source, with its own id and
 * idempotency key, recorded pending and published like any submission, keyed by the account it
 * debits so that every refund of the transfer is decided in order on one partition. What is
 * checked here is checked again by the processor, which alone decides against the original's
 * refunded totals under its lock: two refunds accepted here together may still be capped there
 * (`refund_exceeds_original`), and the refunder's funds are the processor's to check.
 * @throws RefundOfNotFound (no such transfer, another tenant's, or one this tenant only paid),
 *   TransferNotRefundable (a deposit, withdrawal, hold or follow-up; not committed yet, or
 *   rejected), RefundExceedsOriginal (more than remains, or nothing remains), IdempotencyKeyReused
 */
export async function refundTransfer(
  deps: AcceptDeps & { accounts: AccountDirectory },
  tenantId: string,
  idempotencyKey: string,
  originalId: string,
  amount: string | number | undefined,
): Promise<Submitted> {
  const requested = amount !== undefined ? parseAmount(amount) : null;
  const original = await findVisibleTransfer(deps.pool, tenantId, originalId);
  if (!original) throw new RefundOfNotFound(originalId);
  // Deposits and withdrawals are only ever their own tenant's: saying they cannot be refunded
  // tells that tenant nothing it does not know.
  if (!REFUNDABLE_KINDS.includes(original.kind))
    throw new TransferNotRefundable(`a transfer of kind ${original.kind} cannot be refunded`);
  // Splits are seen by their payer alone (see findVisibleTransfer), so this tells no one anything
  // new. Which legs a refund would come back from, and at which rates, is not decided yet.
  if (original.legs)
    throw new TransferNotRefundable(
      'a split transfer cannot be refunded; the payees may pay back with transfers',
    );
  // Only the payee refunds; to the payer (or anyone else) it is as if there were no such transfer.
  const payee = original.destinationAccountId
    ? (await deps.accounts.lookup([original.destinationAccountId])).get(original.destinationAccountId)
    : undefined;
  if (!payee || payee.tenantId !== tenantId) throw new RefundOfNotFound(originalId);
  if (original.status !== 'committed')
    throw new TransferNotRefundable(
      original.status === 'pending'
        ? 'the transfer is not committed yet; refund it once it is'
        : `a ${original.status} transfer cannot be refunded${original.hold ? ' (refund its capture)' : ''}`,
    );
  const remaining = remainingOf(original);
  const exceeds =
    remaining === 0n || (requested !== null && (requested > remaining || requested > AMOUNT_MAX));
  // A replay of a refund that since used up the original answers as replays do (below), not 400.
  if (exceeds && !(await idempotencyKeyUsed(deps.pool, tenantId, idempotencyKey)))
    throw new RefundExceedsOriginal(remaining);

  const id = newId();
  const command: RefundCommandPayloadV1 = {
    transfer_id: id,
    tenant_id: tenantId,
    idempotency_key: idempotencyKey,
    refund_of: originalId,
    ...(requested !== null ? { amount: requested.toString() } : {}),
  };
  return acceptPending(deps, {
    id,
    tenantId,
    idempotencyKey,
    requestHash: refundFingerprint(originalId, requested),
    kind: 'refund',
    sourceAccountId: original.destinationAccountId,
    destinationAccountId: original.sourceAccountId,
    // "All that remains" as of now; the processor records what remains when it decides.
    amount: requested ?? (remaining > 0n ? remaining : (original.destinationAmount ?? original.amount)),
    currency: original.destinationCurrency ?? original.currency,
    description: null,
    metadata: null,
    expiresAt: null,
    holdId: null,
    refundOf: originalId,
    command,
  });
}

/** What the payee may still give back, in the original's destination currency. */
function remainingOf(t: TransferRecord): bigint {
  return (t.destinationAmount ?? t.amount) - (t.refunded?.destinationAmount ?? 0n);
}
