import { z } from 'zod';
import { TimestampInput } from '../../../../contracts/src';
import { ApiError } from './api-error';

/** Opaque cursors: base64url of a JSON tuple, so their content can change without breaking clients. */
export const encodeCursor = (parts: Array<string | number>): string =>
  Buffer.from(JSON.stringify(parts)).toString('base64url');

/** What the parts of the cursors this API hands out look like. */
export const cursorPart = {
  uuid: z.uuid(),
  timestamp: TimestampInput,
  /** A BIGINT identity, kept well inside its range. */
  serial: z.string().regex(/^[0-9]{1,18}$/),
} as const;

/**
 * The parts of a cursor, each checked against its schema, so that a forged or mangled cursor is
 * the client's 400 rather than a database error.
 * @throws ApiError validation_failed naming `cursor`
 */
export function decodeCursor(
  cursor: string | undefined,
  parts: readonly z.ZodType<string>[],
): string[] | undefined {
  if (cursor === undefined) return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(decoded) &&
      decoded.length === parts.length &&
      decoded.every((p, i) => parts[i]!.safeParse(p).success)
    )
      return decoded as string[];
  } catch {
    // fall through to the error below
  }
  throw new ApiError('validation_failed', 'the cursor is invalid', [
    { field: 'cursor', reason: 'not a cursor this API returned', code: 'invalid_cursor' },
  ]);
}
