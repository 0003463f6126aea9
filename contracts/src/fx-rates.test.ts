import { FxRatePairParams } from './fx-rates';

describe('the pair of an exchange rate', () => {
  it('refuses a rate of a currency to itself, on quote (what the OpenAPI description has to say in words)', () => {
    const parsed = FxRatePairParams.safeParse({ base: 'USD', quote: 'USD' });

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path, i.message])).toEqual([
      [['quote'], 'base and quote must differ'],
    ]);
    expect(FxRatePairParams.safeParse({ base: 'USD', quote: 'EUR' }).success).toBe(true);
  });
});
