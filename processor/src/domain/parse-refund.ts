import type { RefundCommandPayloadV1 } from '../../../contracts/src';
import { InvalidAmountError, parseAmount } from '../../../domain/money';
import { refundFingerprint } from '../../../domain/refunds';
import { deriveTransferId } from '../../../platform/ids';
import { PermanentCommandError } from './errors';
import type { Command } from './types';

/**
 * A `transfer.refund` command: its accounts and currency are the original's (swapped; a split's:
 * the leg's), filled in when it is decided; until then `amount` is what was asked for (0 for all
 * that remains) and `refundLeg` the leg asked for, if any.
 * @throws PermanentCommandError (schema_violation: an amount that is no amount)
 */
export function parseRefund(p: RefundCommandPayloadV1): Command {
  let requestedAmount: bigint | null = null;
  try {
    if (p.amount !== undefined) requestedAmount = parseAmount(p.amount);
  } catch (error) {
    if (error instanceof InvalidAmountError)
      throw new PermanentCommandError('schema_violation', `amount: ${error.reason}`);
    throw error;
  }
  return {
    kind: 'refund',
    sourceAccountId: null,
    destinationAccountId: null,
    amount: requestedAmount ?? 0n,
    currency: '',
    description: null,
    metadata: null,
    hold: null,
    transferId: p.transfer_id ?? deriveTransferId(p.tenant_id, p.idempotency_key),
    tenantId: p.tenant_id,
    idempotencyKey: p.idempotency_key,
    requestHash: refundFingerprint(p.refund_of, requestedAmount, p.leg ?? null),
    holdId: null,
    requestedAmount,
    refundOf: p.refund_of,
    refundLeg: p.leg ?? null,
  };
}
