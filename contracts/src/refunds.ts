import { z } from 'zod';
import { AmountInput, IdempotencyKey, Uuid } from './primitives';
import { SPLIT_LEGS_MAX } from './transfers';

/**
 * Refunds. A refund moves money back along a committed transfer: it debits the original
 * destination (the business that was paid) and credits the original source (its payer). It is a
 * transfer of its own (kind `refund`, `refund_of` naming the original), decided by the processor
 * like any other, on the partition of the account it debits. Several partial refunds may follow
 * one transfer; together they never exceed it on either side. Only transfers (kind `transfer`, or
 * the `capture` of a held transfer) can be refunded: a deposit or withdrawal has no payer inside
 * the ledger to give the money back to. A split is refunded leg by leg, each by the owner of its
 * destination, in the leg's currency at the leg's recorded rate.
 */

/** Which leg of a split a refund gives back along (0-based index into the split's legs). */
const RefundLeg = z
  .number()
  .int()
  .min(0)
  .max(SPLIT_LEGS_MAX - 1)
  .meta({
    description:
      "Refunds of a split only: the index of the leg refunded, whose destination the tenant owns; required when it owns several legs' destinations, else the only one it owns",
  });

/** `POST /v1/transfers/:id/refunds`. */
export const RefundTransferRequest = z
  .object({
    amount: AmountInput.optional().meta({
      description:
        "In the original's destination currency (the refunded account's; a split: the leg's); at most what remains refundable (of the leg). Default: all that remains",
    }),
    leg: RefundLeg.optional(),
  })
  .strict()
  .meta({ id: 'RefundTransferRequest' });
export type RefundTransferRequest = z.infer<typeof RefundTransferRequest>;

/**
 * `transfer.refund` on ledger.transfer-commands.v1, keyed by the original's
 * destination_account_id (a split: the leg's), the account the refund debits, so every refund of
 * a transfer (of a leg) is decided in order on one partition.
 */
export const RefundCommandPayloadV1 = z
  .object({
    transfer_id: Uuid.optional().meta({
      description:
        'Optional id of the refund; when absent derived from tenant_id and idempotency_key (see transfer.requested)',
    }),
    tenant_id: Uuid.meta({ description: "Must own the original's destination account" }),
    idempotency_key: IdempotencyKey,
    refund_of: Uuid.meta({ description: 'The committed transfer refunded' }),
    amount: AmountInput.optional().meta({
      description:
        "In the original's destination currency (a split: the leg's); default all that remains refundable (of the leg) when the processor decides it. Strings of digits preferred",
    }),
    leg: RefundLeg.optional(),
  })
  .strict();
export type RefundCommandPayloadV1 = z.infer<typeof RefundCommandPayloadV1>;
