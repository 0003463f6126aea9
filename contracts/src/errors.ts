import { z } from 'zod';

/** Every error code the HTTP API can answer with, and its status. Codes are stable. */
export const HTTP_ERRORS = {
  validation_failed: 400,
  invalid_json: 400,
  /** The body could not be read as sent: undecodable Content-Encoding, wrong Content-Length. */
  invalid_body: 400,
  /** Not even an HTTP request this server can parse (answered before any route). */
  malformed_request: 400,
  idempotency_key_missing: 400,
  api_key_missing: 401,
  api_key_invalid: 401,
  api_key_revoked: 401,
  admin_token_invalid: 401,
  not_found: 404,
  route_not_found: 404,
  /** The path exists but not with this method; the `Allow` header lists the methods it has. */
  method_not_allowed: 405,
  request_timeout: 408,
  tenant_email_taken: 409,
  account_closed: 409,
  account_not_empty: 409,
  /** A refund of a transfer that is not (or not yet) a committed transfer between two accounts. */
  transfer_not_refundable: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  fx_rate_unavailable: 422,
  rate_limited: 429,
  request_header_fields_too_large: 431,
  rate_limit_blocked: 429,
  internal_error: 500,
  service_unavailable: 503,
  webhook_endpoint_disabled: 409,
  webhook_delivery_in_progress: 409,
  webhook_endpoint_limit_reached: 409,
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export const FieldError = z.object({
  field: z
    .string()
    .meta({ description: 'Dotted path of the offending field, e.g. `amount` or `metadata.order`' }),
  reason: z.string(),
  code: z.string().meta({ description: 'Machine-readable kind of problem, e.g. `too_big`, `invalid_type`' }),
});

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(HTTP_ERRORS) as [HttpErrorCode, ...HttpErrorCode[]]),
      message: z.string(),
      details: z.array(FieldError).optional(),
      request_id: z.string(),
    }),
  })
  .meta({ id: 'Error' });

export type ErrorBody = z.infer<typeof ErrorBody>;
