import { z } from 'zod';
import { CurrencyCode } from './currencies';
import { Timestamp } from './primitives';

/**
 * The pair of PUT /v1/admin/fx-rates/{base}/{quote}. That quote differs from base is checked here
 * but cannot be said in the OpenAPI document's schema: its description says it.
 */
export const FxRatePairParams = z
  .object({
    base: CurrencyCode.meta({ description: 'Currency converted from' }),
    quote: CurrencyCode.meta({
      description:
        'Currency converted into; not base itself: the API refuses a rate of a currency to itself (400 validation_failed), which this schema cannot say',
    }),
  })
  .refine((p) => p.base !== p.quote, { message: 'base and quote must differ', path: ['quote'] });

export const SetFxRateRequest = z
  .object({
    rate: z
      .string()
      .regex(/^[0-9]{1,12}(\.[0-9]{1,18})?$/, 'a positive decimal such as "0.92"')
      // A second pattern rather than a lookahead, which not every generator's regex engine has.
      .regex(/[1-9]/, 'must be greater than zero')
      .meta({ description: 'Units of quote per unit of base, as an exact decimal string' }),
  })
  .strict()
  .meta({ id: 'SetFxRateRequest' });

export const FxRate = z
  .object({ base: CurrencyCode, quote: CurrencyCode, rate: z.string(), updated_at: Timestamp })
  .meta({ id: 'FxRate' });

export type FxRate = z.infer<typeof FxRate>;

/** Every rate set, by base then quote: a few dozen pairs at most, so one page. */
export const FxRateList = z
  .object({ data: z.array(FxRate), next_cursor: z.null() })
  .meta({ id: 'FxRateList' });
export type FxRateList = z.infer<typeof FxRateList>;
