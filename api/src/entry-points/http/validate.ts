import type { z } from 'zod';
import { ApiError, type FieldProblem } from './api-error';

/**
 * Parses input against a contract schema.
 * @throws ApiError validation_failed, with one detail per offending field
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, where = 'body'): z.infer<S> {
  const result = schema.safeParse(input ?? (where === 'body' ? undefined : {}));
  if (result.success) return result.data;
  const details: FieldProblem[] = result.error.issues.slice(0, 20).map((issue) => {
    // A record key's own problem (e.g. a reserved metadata key) is nested; "Invalid key" says nothing.
    const cause = issue.code === 'invalid_key' ? (issue.issues[0] ?? issue) : issue;
    return {
      field: issue.path.length > 0 ? issue.path.join('.') : where,
      reason: cause.message,
      code: problemCode(cause),
    };
  });
  throw new ApiError('validation_failed', `the request ${where} is invalid`, details);
}

/** Custom checks of the contracts name their problem in `params.code` (e.g. `invalid_text`). */
function problemCode(issue: { code: string; params?: Record<string, unknown> | undefined }): string {
  const named = issue.code === 'custom' ? issue.params?.code : undefined;
  return typeof named === 'string' ? named : issue.code;
}
