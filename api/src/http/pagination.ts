import { ApiError } from './api-error';

/** Opaque cursors: base64url of a JSON tuple, so their content can change without breaking clients. */
export const encodeCursor = (parts: Array<string | number>): string =>
  Buffer.from(JSON.stringify(parts)).toString('base64url');

export function decodeCursor(cursor: string | undefined, arity: number): string[] | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts) && parts.length === arity && parts.every((p) => typeof p === 'string'))
      return parts;
  } catch {
    // fall through to the error below
  }
  throw new ApiError('validation_failed', 'the cursor is invalid', [
    { field: 'cursor', reason: 'not a cursor this API returned', code: 'invalid_cursor' },
  ]);
}
