import { z } from 'zod';

export const Uuid = z.uuid();

/**
 * An amount in the currency's minor unit (cents for USD, yen for JPY). A JSON integer up to
 * 2^53 - 1, or a string of digits for any size up to 19 digits: JSON numbers beyond 2^53 lose
 * precision in most parsers, so large amounts must travel as strings.
 */
export const AmountInput = z
  .union([z.int().positive(), z.string().regex(/^[1-9][0-9]{0,18}$/, 'a positive integer written in digits')])
  .meta({
    id: 'AmountInput',
    description:
      'Positive integer amount in minor units, as a JSON integer (at most 2^53-1) or a string of digits (any size up to 19 digits)',
    examples: [1250, '9007199254740993'],
  });

/** Amounts in responses and events are always strings of digits (optionally signed). */
export const AmountString = z
  .string()
  .regex(/^-?[0-9]+$/)
  .meta({
    id: 'AmountString',
    description: 'Integer amount in minor units, as a string',
    examples: ['1250'],
  });

export const Timestamp = z.iso.datetime({ offset: true });

/** Free-form string labels, bounded: at most 50 keys of up to 40 characters, values up to 500. */
export const Metadata = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 keys')
  .meta({
    id: 'Metadata',
    description: 'At most 50 string keys (1-40 chars) with string values (at most 500 chars)',
  });

export const IdempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
  .meta({ description: 'Unique per tenant and operation; 1 to 255 printable ASCII characters' });

export const PAGE_LIMIT_MAX = 100;

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(20),
  cursor: z.string().max(200).optional(),
});

export const page = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the next page; null at the end' }),
  });
