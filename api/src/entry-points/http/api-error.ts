import { HTTP_ERRORS, type HttpErrorCode } from '../../../../contracts/src';

export interface FieldProblem {
  field: string;
  reason: string;
  code: string;
}

/** An error the client should see: a stable code, its HTTP status, a message and field details. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly details?: FieldProblem[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = HTTP_ERRORS[code];
  }
}

export const notFound = (what: string) => new ApiError('not_found', `${what} not found`);
