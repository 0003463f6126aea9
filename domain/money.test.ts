import fc from 'fast-check';
import {
  AMOUNT_MAX,
  INT64_MAX,
  INT64_MIN,
  InvalidAmountError,
  InvalidRateError,
  convertMinor,
  divRoundHalfEven,
  formatMinor,
  formatRate,
  invertRate,
  parseAmount,
  parseRate,
  rateOf,
  type Rate,
} from './money';

const pow10 = (e: number): bigint => 10n ** BigInt(e);
const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/** Arbitrary positive reduced rate with parts up to 10^30. */
const arbRate: fc.Arbitrary<Rate> = fc
  .tuple(fc.bigInt({ min: 1n, max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 30n }))
  .map(([n, d]) => rateOf(n, d));
const arbExponent = fc.integer({ min: 0, max: 4 });
const arbAmount = fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n });
const digit = fc.constantFrom(...'0123456789'.split(''));
const nonZeroDigit = fc.constantFrom(...'123456789'.split(''));

describe('constants', () => {
  it('matches the PostgreSQL BIGINT bounds and the per-transfer cap', () => {
    expect(INT64_MAX).toBe(9223372036854775807n);
    expect(INT64_MIN).toBe(-9223372036854775808n);
    expect(AMOUNT_MAX).toBe(100000000000000000n);
    expect(AMOUNT_MAX < INT64_MAX).toBe(true);
  });
});

describe('error classes', () => {
  it('carry a stable code, a name and a reason', () => {
    const amountError = new InvalidAmountError('bad');
    expect(amountError).toBeInstanceOf(Error);
    expect(amountError.code).toBe('invalid_amount');
    expect(amountError.name).toBe('InvalidAmountError');
    expect(amountError.reason).toBe('bad');
    const rateError = new InvalidRateError('worse');
    expect(rateError).toBeInstanceOf(Error);
    expect(rateError.code).toBe('invalid_rate');
    expect(rateError.name).toBe('InvalidRateError');
    expect(rateError.reason).toBe('worse');
  });
});

describe('divRoundHalfEven', () => {
  it.each([
    [5n, 2n, 2n],
    [7n, 2n, 4n],
    [1n, 2n, 0n],
    [3n, 2n, 2n],
    [-5n, 2n, -2n],
    [-7n, 2n, -4n],
    [-1n, 2n, 0n],
    [-3n, 2n, -2n],
  ])('rounds the exact tie %p / %p to the even neighbour %p', (n, d, expected) => {
    expect(divRoundHalfEven(n, d)).toBe(expected);
  });

  it.each([
    [10n, 5n, 2n],
    [0n, 7n, 0n],
    [7n, 3n, 2n],
    [8n, 3n, 3n],
    [-7n, 3n, -2n],
    [-8n, 3n, -3n],
    [1n, 3n, 0n],
    [2n, 3n, 1n],
  ])('rounds non-ties %p / %p to the nearest integer %p', (n, d, expected) => {
    expect(divRoundHalfEven(n, d)).toBe(expected);
  });

  it('rejects a zero or negative divisor with RangeError', () => {
    expect(() => divRoundHalfEven(1n, 0n)).toThrow(RangeError);
    expect(() => divRoundHalfEven(1n, -2n)).toThrow(RangeError);
  });

  it('stays within half a unit of the exact quotient', () => {
    fc.assert(
      fc.property(fc.bigInt(), fc.bigInt({ min: 1n }), (n, d) => {
        const r = divRoundHalfEven(n, d);
        const error2 = abs(n - r * d) * 2n;
        expect(error2 <= d).toBe(true);
        if (error2 === d) expect(r % 2n).toBe(0n);
      }),
    );
  });

  it('rounds every exact tie to the even neighbour', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.bigInt({ min: 1n }), (k, m) => {
        // n / d = k + 1/2 exactly, with d = 2m
        const d = 2n * m;
        const n = k * d + m;
        const r = divRoundHalfEven(n, d);
        expect(r === k || r === k + 1n).toBe(true);
        expect(r % 2n).toBe(0n);
      }),
    );
  });

  it('is symmetric about zero', () => {
    fc.assert(
      fc.property(fc.bigInt(), fc.bigInt({ min: 1n }), (n, d) => {
        expect(divRoundHalfEven(-n, d)).toBe(-divRoundHalfEven(n, d));
      }),
    );
  });
});

describe('parseAmount', () => {
  it.each<[unknown, bigint]>([
    [0, 0n],
    ['0', 0n],
    [12345, 12345n],
    ['12345', 12345n],
    [Number.MAX_SAFE_INTEGER, 9007199254740991n],
    ['9007199254740993', 9007199254740993n],
    ['9223372036854775807', INT64_MAX],
    ['9999999999999999999', 9999999999999999999n],
    ['007', 7n],
  ])('accepts %p as %p', (input, expected) => {
    expect(parseAmount(input)).toBe(expected);
  });

  it.each<[string, unknown]>([
    ['a fractional number', 1.5],
    ['a negative number', -1],
    ['negative zero', -0],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['an unsafe integer number (2**53+2)', 2 ** 53 + 2],
    ['a decimal string', '01.0'],
    ['an exponent string', '1e3'],
    ['a hex string', '0x10'],
    ['an empty string', ''],
    ['a leading space', ' 12'],
    ['a trailing space', '12 '],
    ['a trailing newline', '12\n'],
    ['a leading plus', '+1'],
    ['a negative string', '-1'],
    ['an underscore separator', '1_000'],
    ['full-width digits', '\uff11\uff12'],
    ['20 digits', '10000000000000000000'],
    ['true', true],
    ['null', null],
    ['undefined', undefined],
    ['an object', {}],
    ['an array', [1]],
    ['a bigint', 5n],
  ])('rejects %s', (_label, input) => {
    expect(() => parseAmount(input)).toThrow(InvalidAmountError);
  });

  it('reports the rejection reason with code invalid_amount', () => {
    try {
      parseAmount(1.5);
      throw new Error('expected parseAmount to throw');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidAmountError);
      expect((error as InvalidAmountError).code).toBe('invalid_amount');
      expect((error as InvalidAmountError).reason).toMatch(/safe integer/);
    }
  });

  it('round-trips the decimal string of every bigint in [0, 10^19)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 19n - 1n }), (x) => {
        expect(parseAmount(String(x))).toBe(x);
      }),
    );
  });

  it('accepts every non-negative safe integer given as a number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (x) => {
        expect(parseAmount(x)).toBe(BigInt(x));
      }),
    );
  });
});

describe('rateOf', () => {
  it('reduces the fraction', () => {
    expect(rateOf(46n, 50n)).toEqual({ numerator: 23n, denominator: 25n });
    expect(rateOf(7n, 7n)).toEqual({ numerator: 1n, denominator: 1n });
  });

  it.each([
    [0n, 1n],
    [1n, 0n],
    [-1n, 2n],
    [1n, -2n],
  ])('rejects %p / %p with InvalidRateError', (n, d) => {
    expect(() => rateOf(n, d)).toThrow(InvalidRateError);
  });

  it('always yields coprime positive parts', () => {
    fc.assert(
      fc.property(arbRate, (r) => {
        expect(r.numerator > 0n && r.denominator > 0n).toBe(true);
        let [x, y] = [r.numerator, r.denominator];
        while (y !== 0n) [x, y] = [y, x % y];
        expect(x).toBe(1n);
      }),
    );
  });
});

describe('parseRate', () => {
  it.each<[string, bigint, bigint]>([
    ['0.92', 23n, 25n],
    ['1', 1n, 1n],
    ['151.237', 151237n, 1000n],
    ['0.000012345', 2469n, 200000000n],
    ['0.920', 23n, 25n],
    ['999999999999.999999999999999999', 999999999999999999999999999999n, 10n ** 18n],
    ['0.000000000000000001', 1n, 10n ** 18n],
  ])('parses %p exactly as %p / %p', (input, numerator, denominator) => {
    expect(parseRate(input)).toEqual({ numerator, denominator });
  });

  it.each([
    '0',
    '0.0',
    '0.000000000000000000',
    '',
    '-1',
    '+1',
    '1e3',
    '1E-3',
    '.5',
    '1.',
    ' 1',
    '1 ',
    '1,5',
    '1.2.3',
    '0x10',
    'NaN',
    'Infinity',
    '0.0000000000000000001',
    '1000000000000.5',
  ])('rejects %p with InvalidRateError', (input) => {
    expect(() => parseRate(input)).toThrow(InvalidRateError);
  });

  it('rejects non-string input with InvalidRateError', () => {
    expect(() => parseRate(0.92 as unknown as string)).toThrow(InvalidRateError);
    expect(() => parseRate(null as unknown as string)).toThrow(InvalidRateError);
  });
});

describe('formatRate', () => {
  it.each<[bigint, bigint, string]>([
    [23n, 25n, '0.92'],
    [1n, 3n, '0.333333333333333333'],
    [2n, 3n, '0.666666666666666667'],
    [1n, 1n, '1'],
    [151237n, 1000n, '151.237'],
    [2469n, 200000000n, '0.000012345'],
    [10n ** 30n, 1n, '1000000000000000000000000000000'],
    [1n, 10n ** 18n, '0.000000000000000001'],
  ])('formats %p / %p as %p', (n, d, expected) => {
    expect(formatRate(rateOf(n, d))).toBe(expected);
  });

  it('rounds half-even at maxDecimals and trims trailing zeros', () => {
    expect(formatRate(rateOf(1n, 8n), 2)).toBe('0.12');
    expect(formatRate(rateOf(3n, 8n), 2)).toBe('0.38');
    expect(formatRate(rateOf(5n, 2n), 0)).toBe('2');
    expect(formatRate(rateOf(199n, 200n), 2)).toBe('1');
  });

  it('rounds a rate below half of the last place to "0"', () => {
    expect(formatRate(rateOf(1n, 10n ** 20n))).toBe('0');
  });

  it('rejects a bad maxDecimals with RangeError and a non-positive rate with InvalidRateError', () => {
    expect(() => formatRate(rateOf(1n, 2n), -1)).toThrow(RangeError);
    expect(() => formatRate(rateOf(1n, 2n), 1.5)).toThrow(RangeError);
    expect(() => formatRate({ numerator: 0n, denominator: 1n })).toThrow(InvalidRateError);
  });

  it('round-trips canonical terminating decimals through parseRate', () => {
    const integerPart = fc.bigInt({ min: 0n, max: 10n ** 12n - 1n }).map(String);
    const fractionPart = fc.oneof(
      fc.constant(''),
      fc
        .tuple(fc.array(digit, { maxLength: 17 }), nonZeroDigit)
        .map(([head, last]) => `.${head.join('')}${last}`),
    );
    fc.assert(
      fc.property(integerPart, fractionPart, (i, f) => {
        fc.pre(!(i === '0' && f === ''));
        const s = i + f;
        expect(formatRate(parseRate(s))).toBe(s);
      }),
    );
  });

  it('round-trips every rate whose expansion terminates within 18 digits', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n - 1n }),
        fc.integer({ min: 0, max: 18 }),
        fc.integer({ min: 0, max: 18 }),
        (n, twos, fives) => {
          const r = rateOf(n, 2n ** BigInt(twos) * 5n ** BigInt(fives));
          expect(parseRate(formatRate(r))).toEqual(r);
        },
      ),
    );
  });
});

describe('invertRate', () => {
  it('inverts exactly', () => {
    expect(invertRate(rateOf(23n, 25n))).toEqual({ numerator: 25n, denominator: 23n });
    expect(formatRate(invertRate(parseRate('0.8')))).toBe('1.25');
  });

  it('rejects a zero rate with InvalidRateError', () => {
    expect(() => invertRate({ numerator: 0n, denominator: 1n })).toThrow(InvalidRateError);
  });

  it('is an involution', () => {
    fc.assert(
      fc.property(arbRate, (r) => {
        expect(invertRate(invertRate(r))).toEqual(r);
      }),
    );
  });
});

describe('convertMinor', () => {
  it('converts USD cents to JPY yen (exponent 2 -> 0)', () => {
    // $100.00 at 151.237 = ¥15123.7 -> ¥15124
    expect(convertMinor(10000n, 2, 0, parseRate('151.237'))).toBe(15124n);
    // $1.00 at 150.5 = ¥150.5 -> tie -> ¥150 (even); at 151.5 -> ¥152
    expect(convertMinor(100n, 2, 0, parseRate('150.5'))).toBe(150n);
    expect(convertMinor(100n, 2, 0, parseRate('151.5'))).toBe(152n);
  });

  it('converts USD cents to KWD fils (exponent 2 -> 3)', () => {
    // $100.00 at 0.307 = 30.700 KWD
    expect(convertMinor(10000n, 2, 3, parseRate('0.307'))).toBe(30700n);
    // $0.01 at 0.3075 = 3.075 fils -> 3
    expect(convertMinor(1n, 2, 3, parseRate('0.3075'))).toBe(3n);
    // $0.01 at 0.25 = 2.5 fils -> 2 (even); at 0.35 = 3.5 fils -> 4 (even)
    expect(convertMinor(1n, 2, 3, parseRate('0.25'))).toBe(2n);
    expect(convertMinor(1n, 2, 3, parseRate('0.35'))).toBe(4n);
  });

  it('converts KWD fils to USD cents (exponent 3 -> 2)', () => {
    // 1.005 KWD at 3.25 = $3.26625 -> 327 cents
    expect(convertMinor(1005n, 3, 2, parseRate('3.25'))).toBe(327n);
    expect(convertMinor(5n, 3, 2, rateOf(1n, 1n))).toBe(0n);
    expect(convertMinor(15n, 3, 2, rateOf(1n, 1n))).toBe(2n);
  });

  it('converts EUR cents to USD cents (exponent 2 -> 2)', () => {
    // €123.45 at 1.0837 = $133.782765 -> 13378 cents
    expect(convertMinor(12345n, 2, 2, parseRate('1.0837'))).toBe(13378n);
    expect(convertMinor(1n, 2, 2, parseRate('1.5'))).toBe(2n);
    expect(convertMinor(1n, 2, 2, parseRate('2.5'))).toBe(2n);
  });

  it('rounds negative amounts symmetrically', () => {
    expect(convertMinor(-1n, 2, 2, parseRate('2.5'))).toBe(-2n);
    expect(convertMinor(-1n, 2, 2, parseRate('1.5'))).toBe(-2n);
    expect(convertMinor(-10000n, 2, 0, parseRate('151.237'))).toBe(-15124n);
  });

  it('converts amounts above 2^53 exactly', () => {
    const amount = 2n ** 60n; // 1152921504606846976
    // * 23/25 = 1060687784238299217.92 -> ...218
    expect(convertMinor(amount, 2, 2, parseRate('0.92'))).toBe(1060687784238299218n);
    // / 100 = 11529215046068469.76 -> ...470
    expect(convertMinor(amount, 2, 0, rateOf(1n, 1n))).toBe(11529215046068470n);
    expect(convertMinor(amount, 2, 2, rateOf(1n, 1n))).toBe(amount);
    expect(convertMinor(INT64_MAX, 0, 4, rateOf(1n, 1n))).toBe(INT64_MAX * 10000n);
  });

  it('rejects exponents outside 0..4 with RangeError', () => {
    const one = rateOf(1n, 1n);
    expect(() => convertMinor(1n, 5, 2, one)).toThrow(RangeError);
    expect(() => convertMinor(1n, 2, -1, one)).toThrow(RangeError);
    expect(() => convertMinor(1n, 1.5, 2, one)).toThrow(RangeError);
    expect(() => convertMinor(1n, 2, NaN, one)).toThrow(RangeError);
  });

  it('rejects a hand-built non-positive rate with InvalidRateError', () => {
    expect(() => convertMinor(1n, 2, 2, { numerator: 0n, denominator: 1n })).toThrow(InvalidRateError);
    expect(() => convertMinor(1n, 2, 2, { numerator: 1n, denominator: 0n })).toThrow(InvalidRateError);
    expect(() => convertMinor(1n, 2, 2, { numerator: -1n, denominator: 1n })).toThrow(InvalidRateError);
  });

  it('is the identity at rate 1 with equal exponents', () => {
    fc.assert(
      fc.property(arbAmount, arbExponent, (amount, e) => {
        expect(convertMinor(amount, e, e, rateOf(1n, 1n))).toBe(amount);
      }),
    );
  });

  it('is monotonic in the amount', () => {
    fc.assert(
      fc.property(arbAmount, arbAmount, arbExponent, arbExponent, arbRate, (x, y, from, to, rate) => {
        const [a, b] = x <= y ? [x, y] : [y, x];
        expect(convertMinor(a, from, to, rate) <= convertMinor(b, from, to, rate)).toBe(true);
      }),
    );
  });

  it('lands within half a minor unit of the exact rational result', () => {
    fc.assert(
      fc.property(arbAmount, arbExponent, arbExponent, arbRate, (amount, from, to, rate) => {
        const r = convertMinor(amount, from, to, rate);
        // exact = num / den; require |num - r * den| * 2 <= den
        const num = amount * rate.numerator * pow10(to);
        const den = rate.denominator * pow10(from);
        expect(abs(num - r * den) * 2n <= den).toBe(true);
      }),
    );
  });

  it('converting there and back at the inverse rate drifts by at most the rounding of both legs', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: AMOUNT_MAX }),
        fc.constantFrom('0.92', '1.0837', '151.237', '0.307', '3.25'),
        (amount, s) => {
          // same exponent both ways and rate within [0.3, 152]: the round trip is off by at most
          // 1/2 + (1/2) * (1/rate) minor units, i.e. < 3 for every rate listed
          const rate = parseRate(s);
          const back = convertMinor(convertMinor(amount, 2, 2, rate), 2, 2, invertRate(rate));
          expect(abs(back - amount) <= 2n).toBe(true);
        },
      ),
    );
  });
});

describe('formatMinor', () => {
  it.each<[bigint, number, string]>([
    [12345n, 2, '123.45'],
    [-5n, 2, '-0.05'],
    [7n, 0, '7'],
    [1n, 3, '0.001'],
    [0n, 2, '0.00'],
    [100n, 2, '1.00'],
    [-7n, 0, '-7'],
    [-12345n, 4, '-1.2345'],
    [INT64_MAX, 2, '92233720368547758.07'],
    [INT64_MIN, 2, '-92233720368547758.08'],
  ])('formats %p with exponent %p as %p', (amount, exponent, expected) => {
    expect(formatMinor(amount, exponent)).toBe(expected);
  });

  it('rejects exponents outside 0..4 with RangeError', () => {
    expect(() => formatMinor(1n, 5)).toThrow(RangeError);
    expect(() => formatMinor(1n, -1)).toThrow(RangeError);
  });

  it('keeps every digit: removing the point gives back the amount', () => {
    fc.assert(
      fc.property(arbAmount, arbExponent, (amount, e) => {
        const s = formatMinor(amount, e);
        const negative = s.startsWith('-');
        const magnitude = BigInt((negative ? s.slice(1) : s).replace('.', ''));
        expect(negative ? -magnitude : magnitude).toBe(amount);
        if (e > 0) expect(s).toMatch(new RegExp(`^-?[0-9]+\\.[0-9]{${e}}$`));
      }),
    );
  });
});
