import { z } from 'zod';
import { CurrencyCode, IsoCurrencyCode } from './currencies';
import {
  AmountInput,
  AmountString,
  Metadata,
  PageQuery,
  SafeText,
  Timestamp,
  TimestampInput,
  Uuid,
  page,
} from './primitives';
import { CaptureMode, HoldActionKind, HoldState } from './holds';

export const TransferKind = z.enum(['transfer', 'deposit', 'withdrawal']).meta({
  id: 'TransferKind',
  description:
    'transfer: account to account; deposit: from the outside world into an account; withdrawal: from an account to the outside world',
});

/** The kind of a transfer row: a request's kind, or a follow-up of a hold (see holds.ts). */
export const TransferRecordKind = z
  .enum([...TransferKind.options, ...HoldActionKind.options, 'refund'])
  .meta({
    id: 'TransferRecordKind',
    description:
      'transfer, deposit, withdrawal: as requested; capture, void, expire: a follow-up of the hold named by hold_id; refund: money given back along the transfer named by refund_of',
  });
export type TransferRecordKind = z.infer<typeof TransferRecordKind>;

/** Final reasons a transfer is rejected. Stable codes. */
export const REJECTION_REASONS = {
  insufficient_funds: 'the debited account does not hold enough funds',
  account_not_found: 'an account does not exist or cannot be used by this tenant',
  account_not_owned: 'the debited account does not belong to the tenant',
  account_frozen: 'an account is frozen',
  account_closed: 'an account is closed',
  currency_mismatch: 'the currency is not the debited account currency',
  same_account: 'the source and destination accounts are the same',
  amount_out_of_range: 'the amount is zero or beyond the largest allowed',
  fx_rate_unavailable: 'no exchange rate is set between the two currencies',
  unsupported_currency: 'the ledger does not hold this currency',
  idempotency_key_reused: 'the idempotency key was used before with another request',
  hold_not_open: 'the hold is not open: already captured, voided or expired, rejected, or not decided yet',
  capture_exceeds_hold: 'the capture amount is more than the held amount',
  expiry_out_of_range: 'expires_at is not after the hold was accepted, or more than 30 days after',
  refund_exceeds_original: 'the refund is more than what remains refundable of the original transfer',
  not_refundable: 'the original is not a committed transfer between two accounts (kind transfer or capture)',
} as const;

export type RejectionReason = keyof typeof REJECTION_REASONS;
export const RejectionReason = z
  .enum(Object.keys(REJECTION_REASONS) as [RejectionReason, ...RejectionReason[]])
  .meta({ id: 'RejectionReason' });

export const TransferStatus = z
  .enum(['pending', 'committed', 'rejected', 'held', 'captured', 'voided', 'expired'])
  .meta({
    id: 'TransferStatus',
    description:
      'pending until the processor decides it: committed and rejected are final; a hold (manual capture) is held instead, until it ends captured, voided or expired',
  });

/** The states a transfer leaves `pending` for: what a long-poll waits for. */
export const DECIDED_STATUSES = ['committed', 'rejected', 'held', 'captured', 'voided', 'expired'] as const;

/** The fields of a transfer request, shared by the REST body and the Kafka command. */
const transferFields = {
  kind: TransferKind.default('transfer'),
  source_account_id: Uuid.optional().meta({
    description: 'Debited account; required for transfer and withdrawal',
  }),
  destination_account_id: Uuid.optional().meta({
    description: 'Credited account; required for transfer and deposit',
  }),
  amount: AmountInput,
  currency: CurrencyCode.meta({
    description: 'Currency of `amount`: the debited account currency (the credited one for deposits)',
  }),
  description: SafeText.max(500).optional(),
  metadata: Metadata.optional(),
  capture: CaptureMode.optional().meta({
    description:
      'manual: a hold, reserved on the source until captured (POST /v1/transfers/{id}/capture), voided or expired; transfer and withdrawal only',
  }),
  expires_at: TimestampInput.optional().meta({
    description:
      'Manual capture only: when the hold lapses, after now and at most 30 days ahead; default 7 days after acceptance',
  }),
};

type TransferShape = {
  kind: z.infer<typeof TransferKind>;
  source_account_id?: string | undefined;
  destination_account_id?: string | undefined;
  capture?: CaptureMode | undefined;
  expires_at?: string | undefined;
};

/** Which accounts each kind needs; checked on both the REST body and the Kafka command. */
function checkAccountsForKind(value: TransferShape, ctx: z.RefinementCtx): void {
  const needsSource = value.kind !== 'deposit';
  const needsDestination = value.kind !== 'withdrawal';
  const check = (field: 'source_account_id' | 'destination_account_id', needed: boolean) => {
    if (needed && !value[field])
      ctx.addIssue({ code: 'custom', path: [field], message: `required for kind "${value.kind}"` });
    if (!needed && value[field])
      ctx.addIssue({ code: 'custom', path: [field], message: `not allowed for kind "${value.kind}"` });
  };
  check('source_account_id', needsSource);
  check('destination_account_id', needsDestination);
  // Money arriving from outside is not reserved anywhere: there is nothing to hold a deposit on.
  if (value.capture === 'manual' && value.kind === 'deposit')
    ctx.addIssue({ code: 'custom', path: ['capture'], message: 'a deposit cannot be held' });
  if (value.expires_at !== undefined && value.capture !== 'manual')
    ctx.addIssue({ code: 'custom', path: ['expires_at'], message: 'only with capture "manual"' });
}

/**
 * checkAccountsForKind in JSON Schema, for the documents (zod cannot derive it from a refinement):
 * one branch per kind. `kind` may be left out, meaning "transfer", so only that branch allows it
 * absent. A deposit's `capture` can only be automatic, and `expires_at` needs capture manual.
 * Kept beside the check it mirrors; tests/contracts checks both refuse the same requests.
 */
export const ACCOUNTS_PER_KIND_SCHEMA = {
  oneOf: [
    {
      title: 'transfer: from source_account_id to destination_account_id',
      properties: { kind: { const: 'transfer' } },
      required: ['source_account_id', 'destination_account_id'],
    },
    {
      title: 'deposit: into destination_account_id only, never held',
      properties: { kind: { const: 'deposit' }, capture: { const: 'automatic' } },
      required: ['kind', 'destination_account_id'],
      not: { required: ['source_account_id'] },
    },
    {
      title: 'withdrawal: from source_account_id only',
      properties: { kind: { const: 'withdrawal' } },
      required: ['kind', 'source_account_id'],
      not: { required: ['destination_account_id'] },
    },
  ],
  if: { required: ['expires_at'] },
  then: { required: ['capture'], properties: { capture: { const: 'manual' } } },
};

export const CreateTransferRequest = z
  .object(transferFields)
  .strict()
  .superRefine(checkAccountsForKind)
  .meta({ id: 'CreateTransferRequest', ...ACCOUNTS_PER_KIND_SCHEMA });
export type CreateTransferRequest = z.infer<typeof CreateTransferRequest>;

/** Shared with the Kafka command; see commands.ts. */
export const transferCommandFields = transferFields;
export { checkAccountsForKind };

export const TransferEntry = z
  .object({
    account_id: Uuid,
    direction: z.enum(['debit', 'credit']),
    amount: AmountString,
    currency: CurrencyCode,
  })
  .meta({ id: 'TransferEntry' });

export const Transfer = z
  .object({
    id: Uuid,
    status: TransferStatus,
    kind: TransferRecordKind,
    capture: CaptureMode,
    hold_id: Uuid.nullable().meta({ description: 'Follow-ups (capture, void, expire): the hold acted on' }),
    hold: HoldState.nullable().meta({ description: 'Holds (manual capture): the reservation and its end' }),
    refund_of: Uuid.nullable().meta({ description: 'Refunds: the transfer refunded' }),
    refunded_amount: AmountString.nullable().meta({
      description:
        'Refundable transfers (committed, kind transfer or capture): given back to the source so far, in `currency`; null otherwise',
    }),
    refunded_destination_amount: AmountString.nullable().meta({
      description:
        'Refundable transfers: taken back from the destination so far, in destination_currency (equal to refunded_amount within one currency); null otherwise',
    }),
    source_account_id: Uuid.nullable(),
    destination_account_id: Uuid.nullable(),
    amount: AmountString,
    currency: IsoCurrencyCode.meta({
      description: 'A supported currency, except on a transfer rejected with unsupported_currency',
    }),
    destination_amount: AmountString.nullable().meta({
      description: 'Credited amount, in destination_currency',
    }),
    destination_currency: CurrencyCode.nullable(),
    rate: z
      .string()
      .nullable()
      .meta({ description: 'Exchange rate applied (destination per source unit); null within one currency' }),
    description: z.string().nullable(),
    metadata: Metadata.nullable(),
    reason: z.object({ code: RejectionReason, message: z.string() }).nullable(),
    entries: z.array(TransferEntry),
    created_at: Timestamp,
    finalized_at: Timestamp.nullable(),
  })
  .meta({ id: 'Transfer' });
export type Transfer = z.infer<typeof Transfer>;

export const TransferPage = page(Transfer).meta({ id: 'TransferPage' });

export const WAIT_MAX_S = 30;

export const GetTransferQuery = z
  .object({
    wait: z.coerce
      .number()
      .int()
      .min(0)
      .max(WAIT_MAX_S)
      .optional()
      .meta({ description: 'Seconds to wait for a final state before answering (also `Prefer: wait=N`)' }),
  })
  .strict();

export const ListTransfersQuery = PageQuery.extend({
  account_id: Uuid.optional(),
  status: TransferStatus.optional(),
  kind: TransferRecordKind.optional(),
  refund_of: Uuid.optional().meta({ description: 'Only the refunds of this transfer' }),
  from: TimestampInput.optional(),
  to: TimestampInput.optional(),
}).strict();
