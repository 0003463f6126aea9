/**
 * Exact money and FX arithmetic for the double-entry ledger.
 *
 * Every amount is a bigint count of minor units (cents, yen, fils...) and every exchange rate is an
 * exact reduced fraction of bigints. No IEEE-754 double ever touches an amount or a rate: the only
 * `number`s in this module are currency exponents and digit counts, never money.
 */

/** A positive exchange rate as an exact reduced fraction: 1 unit of base = numerator/denominator units of quote (major units). */
export interface Rate {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** Thrown when an amount given by a caller is not a valid non-negative integer count of minor units. */
export class InvalidAmountError extends Error {
  readonly code = 'invalid_amount';
  override readonly name = 'InvalidAmountError';
  /** Why the amount was rejected; never echoes the (untrusted) input itself. */
  readonly reason: string;

  constructor(reason: string) {
    super(`invalid amount: ${reason}`);
    this.reason = reason;
  }
}

/** Thrown when an exchange rate is not a positive, well-formed exact number. */
export class InvalidRateError extends Error {
  readonly code = 'invalid_rate';
  override readonly name = 'InvalidRateError';
  /** Why the rate was rejected; never echoes the (untrusted) input itself. */
  readonly reason: string;

  constructor(reason: string) {
    super(`invalid rate: ${reason}`);
    this.reason = reason;
  }
}

/** The largest amount one transfer may move, in minor units (10^17). */
export const AMOUNT_MAX: bigint = 10n ** 17n;

/** Largest value of a PostgreSQL BIGINT (2^63 - 1). */
export const INT64_MAX: bigint = 2n ** 63n - 1n;

/** Smallest value of a PostgreSQL BIGINT (-2^63). */
export const INT64_MIN: bigint = -(2n ** 63n);

/** Currency exponents (decimal places of the minor unit) this module accepts: ISO 4217 uses 0..4. */
const MAX_EXPONENT = 4;
/** Upper bound on formatRate's `maxDecimals`, so a bad argument cannot request a gigantic power of ten. */
const MAX_FORMAT_DECIMALS = 100;

const AMOUNT_DIGITS = /^[0-9]{1,19}$/;
const RATE_DECIMAL = /^([0-9]{1,12})(?:\.([0-9]{1,18}))?$/;

const POW10: readonly bigint[] = Array.from({ length: MAX_EXPONENT + 1 }, (_, i) => 10n ** BigInt(i));

function pow10(exponent: number): bigint {
  const cached = POW10[exponent];
  return cached ?? 10n ** BigInt(exponent);
}

/** Throws RangeError unless `exponent` is an integer in 0..4. */
function assertExponent(exponent: number, name: string): void {
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > MAX_EXPONENT) {
    throw new RangeError(`${name} must be an integer in 0..${MAX_EXPONENT}`);
  }
}

function assertBigint(value: unknown, name: string): asserts value is bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${name} must be a bigint`);
}

/** Throws InvalidRateError unless `rate` has a positive bigint numerator and denominator. */
function assertRate(rate: Rate): void {
  if (typeof rate !== 'object' || rate === null) throw new InvalidRateError('must be a Rate object');
  const { numerator, denominator } = rate;
  if (typeof numerator !== 'bigint' || typeof denominator !== 'bigint') {
    throw new InvalidRateError('numerator and denominator must be bigints');
  }
  if (numerator <= 0n || denominator <= 0n) {
    throw new InvalidRateError('numerator and denominator must be positive');
  }
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) {
    [x, y] = [y, x % y];
  }
  return x;
}

/**
 * Parses an amount in minor units given as a JSON integer (must be a safe integer) or a string of ASCII
 * digits (no sign, no spaces, no leading '+', at most 19 digits). Returns bigint. Zero is allowed here
 * (callers check positivity) and so are leading zeros in the string form ("007" is 7n). The result is
 * not bounded by AMOUNT_MAX or INT64_MAX: 19 digits reach 10^19 - 1, so callers enforce those limits.
 *
 * @throws {InvalidAmountError} for anything else: non-integer numbers (1.5), negative numbers
 *   (including -0), NaN, Infinity, unsafe integers such as 2**53+2 given as a number, bigints,
 *   booleans, null, objects, and strings that are empty, signed, padded, decimal ("01.0"), exponent
 *   ("1e3"), hexadecimal ("0x10"), non-ASCII digits, or longer than 19 digits.
 */
export function parseAmount(input: unknown): bigint {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input)) throw new InvalidAmountError('must be a safe integer');
    if (input < 0 || Object.is(input, -0)) throw new InvalidAmountError('must not be negative');
    return BigInt(input);
  }
  if (typeof input === 'string') {
    if (!AMOUNT_DIGITS.test(input)) throw new InvalidAmountError('must be a string of 1 to 19 ASCII digits');
    return BigInt(input);
  }
  throw new InvalidAmountError('must be a JSON integer or a string of digits');
}

/**
 * Builds a reduced Rate from numerator/denominator (both > 0).
 *
 * @throws {InvalidRateError} when either part is not a bigint or is not strictly positive.
 */
export function rateOf(numerator: bigint, denominator: bigint): Rate {
  assertRate({ numerator, denominator });
  const g = gcd(numerator, denominator);
  return Object.freeze({ numerator: numerator / g, denominator: denominator / g });
}

/**
 * Parses a decimal string rate like "0.92", "1", "151.237", "0.000012345" (up to 18 fractional digits,
 * up to 12 integer digits, no exponent, no sign) into a reduced Rate. Leading zeros in the integer part
 * and trailing zeros in the fraction are accepted ("0.920" is 23/25).
 *
 * @throws {InvalidRateError} for zero, negatives, empty or non-string input, and anything malformed:
 *   signs, spaces, exponents, ".5", "1.", commas, too many integer or fractional digits.
 */
export function parseRate(decimal: string): Rate {
  if (typeof decimal !== 'string') throw new InvalidRateError('must be a decimal string');
  const match = RATE_DECIMAL.exec(decimal);
  if (match === null) {
    throw new InvalidRateError('must be a plain decimal with at most 12 integer and 18 fractional digits');
  }
  const integerPart = match[1] ?? '0';
  const fractionPart = match[2] ?? '';
  const numerator = BigInt(integerPart + fractionPart);
  if (numerator === 0n) throw new InvalidRateError('must be greater than zero');
  return rateOf(numerator, 10n ** BigInt(fractionPart.length));
}

/**
 * n / d rounded to the nearest integer, ties to even (banker's rounding). n may be negative; rounding
 * is symmetric about zero (-2.5 -> -2, -3.5 -> -4).
 *
 * @throws {RangeError} when d <= 0.
 * @throws {TypeError} when n or d is not a bigint.
 */
export function divRoundHalfEven(n: bigint, d: bigint): bigint {
  assertBigint(n, 'n');
  assertBigint(d, 'd');
  if (d <= 0n) throw new RangeError('divisor must be positive');
  const quotient = n / d; // truncates toward zero
  const remainder = n % d; // carries the sign of n
  if (remainder === 0n) return quotient;
  const twiceRemainder = (remainder < 0n ? -remainder : remainder) * 2n;
  const awayFromZero = n < 0n ? -1n : 1n;
  if (twiceRemainder > d) return quotient + awayFromZero;
  if (twiceRemainder === d && quotient % 2n !== 0n) return quotient + awayFromZero;
  return quotient;
}

/**
 * Exact decimal string of a rate when its expansion terminates within `maxDecimals` (default 18)
 * digits; otherwise rounded half-even to maxDecimals digits. Trailing zeros trimmed, never exponent
 * notation. e.g. 23/25 -> "0.92", 1/3 -> "0.333333333333333333". A rate smaller than half of the last
 * place rounds to "0".
 *
 * @throws {InvalidRateError} when the rate's numerator or denominator is not a positive bigint.
 * @throws {RangeError} when maxDecimals is not an integer in 0..100.
 */
export function formatRate(rate: Rate, maxDecimals: number = 18): string {
  assertRate(rate);
  if (!Number.isInteger(maxDecimals) || maxDecimals < 0 || maxDecimals > MAX_FORMAT_DECIMALS) {
    throw new RangeError(`maxDecimals must be an integer in 0..${MAX_FORMAT_DECIMALS}`);
  }
  const scaled = divRoundHalfEven(rate.numerator * pow10(maxDecimals), rate.denominator);
  const digits = scaled.toString().padStart(maxDecimals + 1, '0');
  const integerPart = digits.slice(0, digits.length - maxDecimals);
  const fractionPart = digits.slice(digits.length - maxDecimals).replace(/0+$/, '');
  return fractionPart === '' ? integerPart : `${integerPart}.${fractionPart}`;
}

/**
 * 1 / rate, exact.
 *
 * @throws {InvalidRateError} when the rate's numerator or denominator is not a positive bigint.
 */
export function invertRate(rate: Rate): Rate {
  assertRate(rate);
  return rateOf(rate.denominator, rate.numerator);
}

/**
 * Converts an amount in the minor units of a currency with `fromExponent` decimal places into minor
 * units of a currency with `toExponent` places at `rate` (base=from, quote=to), exactly:
 * amount * rate.numerator * 10^toExponent / (rate.denominator * 10^fromExponent), banker's rounding.
 * Exponents are 0..4. Works for amounts beyond 2^53; negative amounts round symmetrically. The result
 * is not range-checked against AMOUNT_MAX or INT64 bounds: callers do that.
 *
 * @throws {InvalidRateError} when the rate's numerator or denominator is not a positive bigint.
 * @throws {RangeError} when an exponent is not an integer in 0..4.
 * @throws {TypeError} when amount is not a bigint.
 */
export function convertMinor(amount: bigint, fromExponent: number, toExponent: number, rate: Rate): bigint {
  assertBigint(amount, 'amount');
  assertExponent(fromExponent, 'fromExponent');
  assertExponent(toExponent, 'toExponent');
  assertRate(rate);
  return divRoundHalfEven(
    amount * rate.numerator * pow10(toExponent),
    rate.denominator * pow10(fromExponent),
  );
}

/**
 * Formats minor units as a major-unit decimal string for display, always with exactly `exponent`
 * decimal places: (12345n, 2) -> "123.45", (-5n, 2) -> "-0.05", (7n, 0) -> "7", (1n, 3) -> "0.001",
 * (100n, 2) -> "1.00".
 *
 * @throws {RangeError} when exponent is not an integer in 0..4.
 * @throws {TypeError} when amount is not a bigint.
 */
export function formatMinor(amount: bigint, exponent: number): string {
  assertBigint(amount, 'amount');
  assertExponent(exponent, 'exponent');
  const sign = amount < 0n ? '-' : '';
  const digits = (amount < 0n ? -amount : amount).toString().padStart(exponent + 1, '0');
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
