import { z } from 'zod';

/** ISO 4217 currencies the ledger supports, with their minor-unit exponent (also seeded by migrations). */
export const CURRENCIES = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  CHF: 2,
  JPY: 0,
  KWD: 3,
  INR: 2,
  CNY: 2,
  CAD: 2,
  AUD: 2,
  BRL: 2,
  AED: 2,
} as const;

export type CurrencyCode = keyof typeof CURRENCIES;

export const CurrencyCode = z
  .enum(Object.keys(CURRENCIES) as [CurrencyCode, ...CurrencyCode[]])
  .meta({ id: 'CurrencyCode', description: 'ISO 4217 code of a supported currency' });

export const currencyExponent = (code: CurrencyCode): number => CURRENCIES[code];

export const isSupportedCurrency = (code: string): code is CurrencyCode => Object.hasOwn(CURRENCIES, code);

/**
 * Any code shaped like ISO 4217. A Kafka command may name a currency the ledger does not support:
 * the transfer is then recorded as rejected (unsupported_currency), so the producer can read why.
 */
export const IsoCurrencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'three upper-case letters (ISO 4217)')
  .meta({ id: 'IsoCurrencyCode', description: 'ISO 4217 code (three upper-case letters)' });
