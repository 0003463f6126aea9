import type { CurrencyCode } from '../../../contracts/src';
import { invertRate, rateOf, type Rate } from '../../../domain/money';
import type { Pool } from '../../../platform/postgres';

/** The rate from base to quote now: the one set for the pair, else the inverse of the reverse pair. */
export async function currentRate(
  db: Pool,
  base: CurrencyCode,
  quote: CurrencyCode,
): Promise<{ rate: Rate; updatedAt: Date } | undefined> {
  const { rows } = await db.query<{ base: string; numerator: string; denominator: string; updated_at: Date }>(
    `SELECT base, numerator, denominator, updated_at FROM fx_rates
      WHERE (base = $1 AND quote = $2) OR (base = $2 AND quote = $1) ORDER BY base = $1 DESC LIMIT 1`,
    [base, quote],
  );
  const r = rows[0];
  if (!r) return undefined;
  const rate = rateOf(BigInt(r.numerator), BigInt(r.denominator));
  return { rate: r.base === base ? rate : invertRate(rate), updatedAt: r.updated_at };
}

export async function upsertRate(db: Pool, base: CurrencyCode, quote: CurrencyCode, rate: Rate) {
  const { rows } = await db.query<{ updated_at: Date }>(
    `INSERT INTO fx_rates (base, quote, numerator, denominator) VALUES ($1, $2, $3, $4)
     ON CONFLICT (base, quote) DO UPDATE SET numerator = excluded.numerator, denominator = excluded.denominator, updated_at = now()
     RETURNING updated_at`,
    [base, quote, rate.numerator.toString(), rate.denominator.toString()],
  );
  return rows[0]!.updated_at;
}

export async function listRates(db: Pool) {
  const { rows } = await db.query<{
    base: CurrencyCode;
    quote: CurrencyCode;
    numerator: string;
    denominator: string;
    updated_at: Date;
  }>('SELECT base, quote, numerator, denominator, updated_at FROM fx_rates ORDER BY base, quote');
  return rows.map((r) => ({
    base: r.base,
    quote: r.quote,
    rate: rateOf(BigInt(r.numerator), BigInt(r.denominator)),
    updatedAt: r.updated_at,
  }));
}
