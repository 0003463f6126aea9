import { z } from 'zod';
import { IsoCurrencyCode } from './currencies';
import { IdempotencyKey, Timestamp, Uuid } from './primitives';
import { ACCOUNTS_PER_KIND_SCHEMA, checkAccountsForKind, transferCommandFields } from './transfers';
import { HoldCaptureCommandPayloadV1, HoldExpireCommandPayloadV1, HoldVoidCommandPayloadV1 } from './holds';
import { RefundCommandPayloadV1 } from './refunds';

/** The largest encoded command the processor accepts; larger ones are dead-lettered. */
export const COMMAND_BYTES_MAX = 16 * 1024;

/**
 * A request to move money, published to the commands topic by the API or by any producer.
 * Kafka key: the account whose balance the command draws on (source_account_id; for a deposit,
 * destination_account_id), so every debit of an account is processed in order on one partition.
 * Amounts should be strings of digits; JSON integers above 2^53 - 1 are refused.
 */
export const TransferCommandPayloadV1 = z
  .object({
    transfer_id: Uuid.optional().meta({
      description:
        'Optional; when absent the id is derived from tenant_id and idempotency_key. An id already used by another request dead-letters the command as transfer_id_conflict',
    }),
    tenant_id: Uuid,
    idempotency_key: IdempotencyKey,
    ...transferCommandFields,
    currency: IsoCurrencyCode.meta({
      description:
        'Currency of `amount`: the debited account currency (the credited one for deposits). One the ledger does not support rejects the transfer with unsupported_currency.',
    }),
  })
  .strict()
  .superRefine(checkAccountsForKind)
  .meta(ACCOUNTS_PER_KIND_SCHEMA);

const commandEnvelope = <T extends string, P extends z.ZodType>(type: T, payload: P) =>
  z.object({ type: z.literal(type), version: z.literal(1), occurred_at: Timestamp, payload }).strict();

/**
 * Every command on ledger.transfer-commands.v1. A new transfer (or hold) is `transfer.requested`,
 * keyed by source_account_id (destination_account_id for a deposit). The follow-ups of a hold,
 * `transfer.capture`, `transfer.void` and `transfer.expire`, are keyed by the hold's
 * source_account_id, so they reach the partition of the hold and are ordered with it and with
 * each other: whichever comes second finds the hold closed (`hold_not_open`).
 */
export const TransferCommandV1 = z
  .discriminatedUnion('type', [
    commandEnvelope('transfer.requested', TransferCommandPayloadV1),
    commandEnvelope('transfer.capture', HoldCaptureCommandPayloadV1),
    commandEnvelope('transfer.void', HoldVoidCommandPayloadV1),
    commandEnvelope('transfer.expire', HoldExpireCommandPayloadV1),
    commandEnvelope('transfer.refund', RefundCommandPayloadV1),
  ])
  .meta({
    id: 'TransferCommandV1',
    title: 'Transfer command, version 1',
    description:
      "Published to ledger.transfer-commands.v1, keyed by source_account_id (destination_account_id for a deposit; the hold's source_account_id for its capture, void and expire; the original's destination_account_id for a refund).",
  });

export type TransferCommandV1 = z.infer<typeof TransferCommandV1>;
export type TransferCommandType = TransferCommandV1['type'];
export type TransferCommandPayloadV1 = z.infer<typeof TransferCommandPayloadV1>;

/** Headers the processor puts on a dead-lettered message. */
export const DEAD_LETTER_HEADERS = {
  reason: 'x-dead-letter-reason',
  detail: 'x-dead-letter-detail',
  sourceTopic: 'x-dead-letter-source-topic',
  sourcePartition: 'x-dead-letter-source-partition',
  sourceOffset: 'x-dead-letter-source-offset',
} as const;

/**
 * Why a command was dead-lettered (the `x-dead-letter-reason` header). The detail header never
 * says anything about another tenant's data: transfer_id_conflict means the command's
 * transfer_id is already taken by another request, whoever made it; hold_not_found means the
 * follow-up names no hold of its tenant (another tenant's hold looks missing too); refund_of_not_found
 * means a refund names no transfer into an account of its tenant (the payer's own payment, another
 * tenant's transfer and a missing one look the same); processing_failed carries
 * only a reference to the processor's log line.
 */
export const DEAD_LETTER_REASONS = [
  'malformed_json',
  'schema_violation',
  'oversized',
  'unknown_tenant',
  'idempotency_key_reused',
  'transfer_id_conflict',
  'hold_not_found',
  'refund_of_not_found',
  'processing_failed',
] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];
