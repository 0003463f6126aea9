import type { z } from 'zod';
import { ApiError, type FieldProblem } from './api-error';

/**
 * Parses input against a contract schema.
 * @throws ApiError validation_failed, with one detail per offending field
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, where = 'body'): z.infer<S> {
  const result = schema.safeParse(input ?? (where === 'body' ? undefined : {}));
  if (result.success) return result.data;
  const details: FieldProblem[] = result.error.issues.slice(0, 20).map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : where,
    reason: issue.message,
    code: issue.code,
  }));
  throw new ApiError('validation_failed', `the request ${where} is invalid`, details);
}
