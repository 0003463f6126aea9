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

/** A date-time as the API writes it (RFC 3339 with an offset). */
export const Timestamp = z.iso.datetime({ offset: true });

/**
 * The widest UTC offset in use anywhere (Kiribati, +14:00). PostgreSQL itself refuses offsets
 * from ±16:00 (checked: `'2020-01-01T00:00:00+16:00'::timestamptz` fails, `+15:59` passes), so
 * every offset this allows is one it holds, with room to spare.
 */
const OFFSET_MINUTES_MAX = 14 * 60;
/** Years 0001 to 9999 after conversion to UTC: PostgreSQL has no year 0000 (`0000-01-01` fails). */
const INSTANT_MIN_MS = Date.parse('0001-01-01T00:00:00Z');
const INSTANT_MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');
const OFFSET = /([+-])(\d{2}):?(\d{2})$/;

/**
 * A date-time a client sends (filters, `since`, cursors): RFC 3339 with an offset, bounded to
 * what PostgreSQL holds, so that a strange but well-formed value is a 400 naming the field rather
 * than a database error.
 */
export const TimestampInput = z.iso
  // `abort`: a value that is no date-time at all gets that one problem, not a range one as well.
  .datetime({ offset: true, abort: true })
  .superRefine((value, ctx) => {
    const offset = OFFSET.exec(value);
    if (offset && Number(offset[2]) * 60 + Number(offset[3]) > OFFSET_MINUTES_MAX) {
      ctx.addIssue({
        code: 'custom',
        message: 'the UTC offset must be within ±14:00',
        params: { code: 'offset_out_of_range' },
      });
      return;
    }
    const instant = Date.parse(value);
    if (!(instant >= INSTANT_MIN_MS && instant <= INSTANT_MAX_MS))
      ctx.addIssue({
        code: 'custom',
        message: 'must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z',
        params: { code: 'date_out_of_range' },
      });
  })
  .meta({
    description: 'RFC 3339 date-time with an offset (Z or ±hh:mm within ±14:00), years 0001 to 9999 in UTC',
  });

/** Lone UTF-16 surrogates: with the `u` flag, `\p{Cs}` matches only those not part of a pair. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * What makes a string storable: PostgreSQL `text` and `jsonb` cannot hold U+0000, and a lone
 * UTF-16 surrogate has no UTF-8 encoding (node-postgres would silently store U+FFFD instead, and
 * jsonb refuses its `\uD800` escape). Checked on every string the ledger stores, so that such
 * input is a 400 naming the field, never a database error or a silently changed value.
 */
export function checkStorableText(value: string, ctx: z.RefinementCtx): void {
  if (value.includes('\u0000'))
    ctx.addIssue({
      code: 'custom',
      message: 'must not contain the NUL character (U+0000)',
      params: { code: 'invalid_text' },
    });
  if (LONE_SURROGATE.test(value))
    ctx.addIssue({
      code: 'custom',
      message: 'must be well-formed Unicode (no lone UTF-16 surrogate)',
      params: { code: 'invalid_text' },
    });
}

/** Any string the ledger stores (names, descriptions, metadata keys and values). */
export const SafeText = z.string().superRefine(checkStorableText);

/**
 * Keys a JavaScript object cannot hold as its own data: assigning `__proto__` sets the prototype
 * instead, and zod's record parsing skips that key without a word. A client's label must never
 * vanish silently, so such a key is refused, naming it.
 */
const RESERVED_KEYS = ['__proto__'];

function refuseReservedKeys(input: unknown, ctx: z.RefinementCtx): unknown {
  if (typeof input !== 'object' || input === null) return input;
  for (const key of RESERVED_KEYS)
    if (Object.hasOwn(input, key))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `"${key}" is reserved and cannot be a metadata key`,
        params: { code: 'reserved_key' },
      });
  return input;
}

/** Free-form string labels, bounded: at most 50 keys of up to 40 characters, values up to 500. */
export const Metadata = z
  .preprocess(
    refuseReservedKeys,
    z
      .record(SafeText.min(1).max(40), SafeText.max(500))
      .refine((m) => Object.keys(m).length <= 50, 'at most 50 keys'),
  )
  .meta({
    id: 'Metadata',
    description:
      'At most 50 string keys (1-40 chars, not "__proto__") with string values (at most 500 chars); no U+0000, no lone surrogates',
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
  cursor: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]{1,200}$/, 'not a cursor this API returned')
    .optional()
    .meta({ description: 'Opaque (base64url): the `next_cursor` of the previous page, as returned' }),
});

export const page = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the next page; null at the end' }),
  });
