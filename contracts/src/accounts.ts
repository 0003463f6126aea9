import { z } from 'zod';
import { AS_OF_SEMANTICS } from './balance-history';
import { CurrencyCode } from './currencies';
import {
  AmountString,
  Metadata,
  SafeText,
  Timestamp,
  TimestampInput,
  Uuid,
  page,
  PageQuery,
} from './primitives';

export const AccountStatus = z.enum(['active', 'frozen', 'closed']).meta({
  id: 'AccountStatus',
  description: 'active: moves money; frozen: neither debited nor credited until reactivated; closed: final',
});

export const CreateAccountRequest = z
  .object({
    name: SafeText.trim().min(1).max(200),
    currency: CurrencyCode,
    metadata: Metadata.optional(),
  })
  .strict()
  .meta({ id: 'CreateAccountRequest' });

export const UpdateAccountRequest = z
  .object({
    name: SafeText.trim().min(1).max(200).optional(),
    metadata: Metadata.optional(),
    status: AccountStatus.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'name, metadata or status is required')
  // The refinement above, in the documents (zod cannot derive it from a refine).
  .meta({ id: 'UpdateAccountRequest', minProperties: 1 });

export const Account = z
  .object({
    id: Uuid,
    name: z.string(),
    currency: CurrencyCode,
    status: AccountStatus,
    balance: AmountString.meta({ description: 'Posted: the sum of the account entries' }),
    held: AmountString.meta({ description: 'Reserved by open holds (manual-capture transfers)' }),
    available: AmountString.meta({
      description: 'balance - held: what transfers and new holds may draw on; never negative',
    }),
    metadata: Metadata,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Account' });

export const AccountPage = page(Account).meta({ id: 'AccountPage' });

export const ListAccountsQuery = PageQuery.extend({}).strict();

export const BalanceQuery = z
  .object({
    currency: CurrencyCode.optional(),
    at: TimestampInput.optional().meta({
      description: `The balance as of this instant instead of now. ${AS_OF_SEMANTICS}`,
    }),
  })
  .strict();

export const Balance = z
  .object({
    account_id: Uuid,
    balance: AmountString.meta({ description: 'Posted, in the account currency' }),
    held: AmountString.meta({ description: 'Reserved by open holds' }),
    available: AmountString.meta({ description: 'balance - held' }),
    currency: CurrencyCode,
    as_of: Timestamp.nullable().meta({
      description: 'The instant asked for with `at`; null for the current balance',
    }),
    converted: z
      .object({
        amount: AmountString,
        currency: CurrencyCode,
        rate: z
          .string()
          .meta({ description: 'Units of the target currency per unit of the account currency' }),
        rounding: z.literal('half_even'),
        rate_updated_at: Timestamp,
      })
      .nullable()
      .meta({
        description:
          'Present when a currency was asked for: the balance converted at the current rate (also with `at`: ' +
          'past rates are not kept)',
      }),
  })
  .meta({ id: 'Balance' });

export const StatementQuery = PageQuery.extend({
  from: TimestampInput.optional(),
  to: TimestampInput.optional(),
}).strict();

export const StatementEntry = z
  .object({
    id: z.string().meta({ description: 'Ledger entry id, increasing within an account' }),
    transfer_id: Uuid,
    direction: z.enum(['debit', 'credit']),
    amount: AmountString.meta({ description: 'Signed: negative for a debit' }),
    currency: CurrencyCode,
    balance_after: AmountString.meta({ description: 'Running balance right after this entry' }),
    created_at: Timestamp,
  })
  .meta({ id: 'StatementEntry' });

export const StatementPage = page(StatementEntry).meta({ id: 'StatementPage' });

export type Account = z.infer<typeof Account>;
export type Balance = z.infer<typeof Balance>;
export type BalanceQuery = z.infer<typeof BalanceQuery>;
