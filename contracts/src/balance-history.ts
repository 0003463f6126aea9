import { z } from 'zod';
import { CurrencyCode } from './currencies';
import { AmountString, Timestamp, TimestampInput, Uuid } from './primitives';

/**
 * What "as of an instant" means, said once for the contract descriptions and the README. Each
 * entry carries the time of the batch that committed it (one time for the whole batch); the
 * processor never gives an account an entry time earlier than its previous one, so, within an
 * account, entry time order is commit order and "the entries created at or before T" is a prefix
 * of the statement.
 */
export const AS_OF_SEMANTICS =
  'The posted balance as of an instant is the running balance (balance_after) of the last entry created ' +
  'at or before that instant, or 0 when there is none: exactly what replaying the statement (/entries) up ' +
  'to that instant gives. Entries carry the time of the batch that committed them, never earlier than the ' +
  "account's previous entry. An instant less than a few seconds old may still gain the entries of a batch " +
  'being committed; an older one never changes.';

export const BALANCE_HISTORY_INTERVALS_MAX = 1000;

export const BalanceInterval = z.enum(['hour', 'day']).meta({
  id: 'BalanceInterval',
  description: 'Fixed lengths of 3,600 s and 86,400 s, counted from `from` (not calendar days)',
});
export type BalanceInterval = z.infer<typeof BalanceInterval>;

export const INTERVAL_MS: Record<BalanceInterval, number> = { hour: 3_600_000, day: 86_400_000 };

export const BalanceHistoryQuery = z
  .object({ from: TimestampInput, to: TimestampInput, interval: BalanceInterval })
  .strict()
  .superRefine((q, ctx) => {
    const span_ms = Date.parse(q.to) - Date.parse(q.from);
    if (!(span_ms > 0))
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: 'must be at least a millisecond after from',
        params: { code: 'range_empty' },
      });
    else if (Math.ceil(span_ms / INTERVAL_MS[q.interval]) > BALANCE_HISTORY_INTERVALS_MAX)
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `at most ${BALANCE_HISTORY_INTERVALS_MAX} intervals of an ${q.interval} from \`from\``,
        params: { code: 'too_many_intervals' },
      });
  });

export const BalanceHistoryPoint = z
  .object({
    start: Timestamp,
    end: Timestamp.meta({ description: 'Exclusive; the last interval ends at `to` and may be shorter' }),
    closing_balance: AmountString.meta({
      description:
        'After every entry created before `end` (the opening balance of the next interval), as the ' +
        "statement's exclusive `to` counts",
    }),
  })
  .meta({ id: 'BalanceHistoryPoint' });

export const BalanceHistory = z
  .object({
    account_id: Uuid,
    currency: CurrencyCode,
    interval: BalanceInterval,
    data: z
      .array(BalanceHistoryPoint)
      .max(BALANCE_HISTORY_INTERVALS_MAX)
      .meta({ description: 'Consecutive intervals [start, end) from `from` to `to`, oldest first' }),
  })
  .meta({
    id: 'BalanceHistory',
    description: `Closing balance of each interval. ${AS_OF_SEMANTICS}`,
  });

export type BalanceHistory = z.infer<typeof BalanceHistory>;
export type BalanceHistoryQuery = z.infer<typeof BalanceHistoryQuery>;
