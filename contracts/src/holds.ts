import { z } from 'zod';
import { AmountInput, AmountString, Timestamp, Uuid } from './primitives';
import { IdempotencyKey } from './primitives';

/**
 * Two-phase transfers. A transfer or withdrawal submitted with `capture: "manual"` is a *hold*:
 * decided like any transfer, it reserves its amount on the source account (status `held`) and
 * posts nothing. A capture posts all or part of it, a void releases it, and at `expires_at` the
 * ledger releases it by itself (status `expired`). Exactly one of these happens to a hold.
 */
export const CaptureMode = z.enum(['automatic', 'manual']).meta({
  id: 'CaptureMode',
  description:
    'automatic (default): the transfer posts when decided; manual: it only reserves the amount (a hold) until captured, voided or expired',
});
export type CaptureMode = z.infer<typeof CaptureMode>;

/** How long a hold lasts when the client names no expires_at, and the longest it may last. */
export const HOLD_EXPIRY_DEFAULT_MS = 7 * 24 * 3600 * 1000;
export const HOLD_EXPIRY_MAX_MS = 30 * 24 * 3600 * 1000;

/** The follow-ups of a hold, each a transfer row of its own linked to it by `hold_id`. */
export const HoldActionKind = z.enum(['capture', 'void', 'expire']).meta({
  id: 'HoldActionKind',
  description:
    'capture: posts all or part of a hold; void: releases it; expire: the ledger releases it at expires_at',
});
export type HoldActionKind = z.infer<typeof HoldActionKind>;

/** `POST /v1/transfers/:id/capture`. */
export const CaptureHoldRequest = z
  .object({
    amount: AmountInput.optional().meta({
      description: 'At most the held amount; the rest is released. Default: the whole hold',
    }),
  })
  .strict()
  .meta({ id: 'CaptureHoldRequest' });
export type CaptureHoldRequest = z.infer<typeof CaptureHoldRequest>;

/** `POST /v1/transfers/:id/void`: an empty object (or no body). */
export const VoidHoldRequest = z.object({}).strict().meta({ id: 'VoidHoldRequest' });

/** The reservation of a hold, as shown on the hold's transfer. */
export const HoldState = z
  .object({
    expires_at: Timestamp.meta({ description: 'When the ledger releases the hold if it is still open' }),
    held_amount: AmountString.meta({ description: 'Amount reserved on the source account' }),
    captured_amount: AmountString.nullable().meta({ description: 'Posted by the capture; null while open' }),
    released_amount: AmountString.nullable().meta({
      description: 'Given back to the available balance (held - captured); null while open',
    }),
    resolved_by: Uuid.nullable().meta({
      description: 'The capture, void or expire transfer that closed the hold',
    }),
    resolved_at: Timestamp.nullable(),
  })
  .meta({ id: 'HoldState' });

const followUpBase = {
  transfer_id: Uuid.optional().meta({
    description:
      'Optional id of the follow-up; when absent derived from tenant_id and idempotency_key (see transfer.requested)',
  }),
  tenant_id: Uuid,
  idempotency_key: IdempotencyKey,
  hold_id: Uuid.meta({ description: 'The held transfer acted on' }),
};

export const HoldCaptureCommandPayloadV1 = z
  .object({
    ...followUpBase,
    amount: AmountInput.optional().meta({
      description: 'At most the held amount; default the whole hold. Strings of digits preferred',
    }),
  })
  .strict();

export const HoldVoidCommandPayloadV1 = z.object(followUpBase).strict();

/**
 * Published by the ledger itself (its expiry sweeper) for a hold past expires_at; it carries no
 * idempotency key: its identity is the hold's, so however often it is published the hold expires
 * once. Harmless from anyone else: it does nothing to a hold that is not due or not open.
 */
export const HoldExpireCommandPayloadV1 = z
  .object({ tenant_id: Uuid, hold_id: Uuid.meta({ description: 'The held transfer to expire' }) })
  .strict();

export type HoldCaptureCommandPayloadV1 = z.infer<typeof HoldCaptureCommandPayloadV1>;
export type HoldVoidCommandPayloadV1 = z.infer<typeof HoldVoidCommandPayloadV1>;
export type HoldExpireCommandPayloadV1 = z.infer<typeof HoldExpireCommandPayloadV1>;
