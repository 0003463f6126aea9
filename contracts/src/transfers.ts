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
  not_refundable:
    'the original is not a committed transfer between accounts (kind transfer or capture, a split included)',
  refund_leg_required:
    'the refunding tenant owns the destinations of several legs of the split: say which leg it refunds',
  refund_leg_not_owned:
    'no leg at that index of the split pays an account of the refunding tenant (or the original is no split)',
  partial_capture_of_split:
    'a split transfer held is captured whole only: leave amount out or give the held amount',
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

/** The most destination legs one split transfer may have. */
export const SPLIT_LEGS_MAX = 16;

/** One destination of a split transfer: `amount` in the source's currency, converted if needed. */
export const TransferLegInput = z
  .object({
    destination_account_id: Uuid,
    amount: AmountInput.meta({ description: 'Debited from the source for this leg, in `currency`' }),
  })
  .strict()
  .meta({ id: 'TransferLegInput' });

/** The fields of a transfer request, shared by the REST body and the Kafka command. */
const transferFields = {
  kind: TransferKind.default('transfer'),
  source_account_id: Uuid.optional().meta({
    description: 'Debited account; required for transfer and withdrawal',
  }),
  destination_account_id: Uuid.optional().meta({
    description: 'Credited account; required for transfer and deposit',
  }),
  amount: AmountInput.optional().meta({
    description:
      'Required, except with `legs`: then optional, and when given it must equal the sum of the legs (what the source is debited)',
  }),
  legs: z.array(TransferLegInput).min(1).max(SPLIT_LEGS_MAX).optional().meta({
    description:
      'A split transfer (kind transfer only): up to 16 destinations, each with its own amount in `currency`, instead of destination_account_id; the source is debited the sum; all legs commit or none. Refused too, though this schema cannot say so: a destination named in two legs, and a leg to source_account_id itself (the API answers 400 validation_failed; the processor sets such a Kafka command aside as a schema violation)',
  }),
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
  amount?: string | number | undefined;
  legs?: Array<{ destination_account_id: string; amount: string | number }> | undefined;
  capture?: CaptureMode | undefined;
  expires_at?: string | undefined;
};

/** Which accounts each kind needs; checked on both the REST body and the Kafka command. */
function checkAccountsForKind(value: TransferShape, ctx: z.RefinementCtx): void {
  const split = value.legs !== undefined;
  const needsSource = value.kind !== 'deposit';
  const needsDestination = value.kind !== 'withdrawal' && !split;
  const check = (field: 'source_account_id' | 'destination_account_id', needed: boolean) => {
    if (needed && !value[field])
      ctx.addIssue({ code: 'custom', path: [field], message: `required for kind "${value.kind}"` });
    if (!needed && value[field])
      ctx.addIssue({ code: 'custom', path: [field], message: `not allowed for kind "${value.kind}"` });
  };
  check('source_account_id', needsSource);
  check('destination_account_id', needsDestination);
  if (split) checkLegs(value, value.legs!, ctx);
  else if (value.amount === undefined)
    ctx.addIssue({ code: 'custom', path: ['amount'], message: 'required (unless legs are given)' });
  // Money arriving from outside is not reserved anywhere: there is nothing to hold a deposit on.
  if (value.capture === 'manual' && value.kind === 'deposit')
    ctx.addIssue({ code: 'custom', path: ['capture'], message: 'a deposit cannot be held' });
  if (value.expires_at !== undefined && value.capture !== 'manual')
    ctx.addIssue({ code: 'custom', path: ['expires_at'], message: 'only with capture "manual"' });
}

/**
 * A split: kind transfer only, distinct destinations none of which is the source, and `amount`,
 * when given, the sum of the legs. (Each leg's bounds, and the sum's, are the processor's and
 * the API's: AMOUNT_MAX.)
 */
function checkLegs(
  value: TransferShape,
  legs: NonNullable<TransferShape['legs']>,
  ctx: z.RefinementCtx,
): void {
  if (value.kind !== 'transfer')
    ctx.addIssue({ code: 'custom', path: ['legs'], message: `not allowed for kind "${value.kind}"` });
  const seen = new Set<string>();
  legs.forEach((leg, i) => {
    const id = leg.destination_account_id;
    if (seen.has(id))
      ctx.addIssue({ code: 'custom', path: ['legs', i, 'destination_account_id'], message: 'named twice' });
    if (id === value.source_account_id)
      ctx.addIssue({
        code: 'custom',
        path: ['legs', i, 'destination_account_id'],
        message: 'the source account itself',
      });
    seen.add(id);
  });
  if (value.amount !== undefined) {
    const sum = legs.reduce((s, leg) => s + BigInt(leg.amount), 0n);
    if (BigInt(value.amount) !== sum)
      ctx.addIssue({ code: 'custom', path: ['amount'], message: `not the sum of the legs (${sum})` });
  }
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
      required: ['source_account_id', 'destination_account_id', 'amount'],
      not: { required: ['legs'] },
    },
    {
      title: 'split transfer: from source_account_id to each of legs (amount, if given, their sum)',
      properties: { kind: { const: 'transfer' } },
      required: ['source_account_id', 'legs'],
      not: { required: ['destination_account_id'] },
    },
    {
      title: 'deposit: into destination_account_id only, never held',
      properties: { kind: { const: 'deposit' }, capture: { const: 'automatic' } },
      required: ['kind', 'destination_account_id', 'amount'],
      not: { anyOf: [{ required: ['source_account_id'] }, { required: ['legs'] }] },
    },
    {
      title: 'withdrawal: from source_account_id only',
      properties: { kind: { const: 'withdrawal' } },
      required: ['kind', 'source_account_id', 'amount'],
      not: { anyOf: [{ required: ['destination_account_id'] }, { required: ['legs'] }] },
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

export const TransferLeg = z
  .object({
    index: z.number().int().min(0).meta({
      description:
        "The leg's index in the split (the `leg` of a refund of it); a payee sees only its own legs, so indexes may skip",
    }),
    destination_account_id: Uuid,
    amount: AmountString.meta({ description: 'Debited from the source for this leg, in `currency`' }),
    destination_amount: AmountString.nullable().meta({
      description: "Credited, in destination_currency (banker's rounding per leg); null until committed",
    }),
    destination_currency: CurrencyCode.nullable(),
    rate: z.string().nullable().meta({
      description: 'Exchange rate applied to this leg; null within one currency or until committed',
    }),
    refunded_amount: AmountString.nullable().meta({
      description:
        "A committed split: given back to the source by this leg's refunds so far, in the split's `currency`; null otherwise",
    }),
    refunded_destination_amount: AmountString.nullable().meta({
      description:
        "A committed split: taken back from this leg's destination so far, in its destination_currency; null otherwise",
    }),
  })
  .meta({ id: 'TransferLeg' });

export const Transfer = z
  .object({
    id: Uuid,
    status: TransferStatus,
    kind: TransferRecordKind,
    capture: CaptureMode,
    hold_id: Uuid.nullable().meta({ description: 'Follow-ups (capture, void, expire): the hold acted on' }),
    hold: HoldState.nullable().meta({ description: 'Holds (manual capture): the reservation and its end' }),
    refund_of: Uuid.nullable().meta({ description: 'Refunds: the transfer refunded' }),
    refund_leg: z.number().int().min(0).nullable().meta({
      description: 'Refunds of a split: the index of the leg refunded; null otherwise',
    }),
    refunded_amount: AmountString.nullable().meta({
      description:
        "Refundable transfers (committed, kind transfer or capture): given back to the source so far, in `currency` (a split: the sum of its legs' refunded_amount, of the legs shown); null otherwise",
    }),
    refunded_destination_amount: AmountString.nullable().meta({
      description:
        'Refundable transfers: taken back from the destination so far, in destination_currency (equal to refunded_amount within one currency); null otherwise, and on a split (see each leg)',
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
    legs: z.array(TransferLeg).nullable().meta({
      description:
        "Split transfers: the destinations in request order (destination_account_id is null); null otherwise. A payee that is not the payer sees only its own legs, and `amount`, a hold's amounts and `entries` restricted to them",
    }),
    failed_leg: z.number().int().nullable().meta({
      description:
        "A rejected split: the index in `legs` of the leg that failed; null when the reason is the whole transfer's",
    }),
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
