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

export const TransferKind = z.enum(['transfer', 'deposit', 'withdrawal']).meta({
  id: 'TransferKind',
  description:
    'transfer: account to account; deposit: from the outside world into an account; withdrawal: from an account to the outside world',
});

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
} as const;

export type RejectionReason = keyof typeof REJECTION_REASONS;
export const RejectionReason = z
  .enum(Object.keys(REJECTION_REASONS) as [RejectionReason, ...RejectionReason[]])
  .meta({ id: 'RejectionReason' });

export const TransferStatus = z.enum(['pending', 'committed', 'rejected']).meta({
  id: 'TransferStatus',
  description: 'pending until the processor commits or rejects it; both are final',
});

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
};

type TransferShape = {
  kind: z.infer<typeof TransferKind>;
  source_account_id?: string | undefined;
  destination_account_id?: string | undefined;
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
}

/**
 * checkAccountsForKind in JSON Schema, for the documents (zod cannot derive it from a refinement):
 * one branch per kind. `kind` may be left out, meaning "transfer", so only that branch allows it
 * absent. Kept beside the check it mirrors; tests/contracts checks both refuse the same requests.
 */
export const ACCOUNTS_PER_KIND_SCHEMA = {
  oneOf: [
    {
      title: 'transfer: from source_account_id to destination_account_id',
      properties: { kind: { const: 'transfer' } },
      required: ['source_account_id', 'destination_account_id'],
    },
    {
      title: 'deposit: into destination_account_id only',
      properties: { kind: { const: 'deposit' } },
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
    kind: TransferKind,
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
  from: TimestampInput.optional(),
  to: TimestampInput.optional(),
}).strict();
