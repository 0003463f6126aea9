import { z } from 'zod';
import { CurrencyCode } from './currencies';
import { Timestamp } from './primitives';

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
