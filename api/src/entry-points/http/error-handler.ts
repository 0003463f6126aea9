import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ErrorBody } from '../../../../contracts/src';
import { isDatabaseUnavailable } from '../../../../platform/postgres';
import {
  AccountClosed,
  AccountNotEmpty,
  AccountNotFound,
  AmountTooLarge,
  BalanceHistoryRangeInvalid,
  CaptureExceedsHold,
  PartialCaptureOfSplit,
  DomainError,
  FxRateUnavailable,
  HoldExpiryOutOfRange,
  HoldNotFound,
  IdempotencyKeyReused,
  RefundExceedsOriginal,
  RefundLegInvalid,
  RefundOfNotFound,
  ResourceNotFound,
  TenantEmailTaken,
  TransferNotRefundable,
  WebhookDeliveryInProgress,
  WebhookEndpointDisabled,
  WebhookEndpointLimitReached,
} from '../../domain/errors';
import { ApiError } from './api-error';

/** What a client is told to wait before retrying while a dependency is out of reach, seconds. */
const UNAVAILABLE_RETRY_AFTER_S = 2;

/** A dependency outage is the client's to retry later (503), not a bug (500). */
function fromOutage(error: unknown): ApiError | undefined {
  if (!isDatabaseUnavailable(error)) return undefined;
  return new ApiError(
    'service_unavailable',
    'the ledger is briefly unavailable; retry after the time in Retry-After',
    undefined,
    { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_S) },
  );
}

/**
 * The one mapping of the use cases' refusals to HTTP: a status and stable code (contracts/src/errors.ts)
 * with field details. A DomainError this does not know is a bug: a logged 500.
 */
export function fromDomain(error: unknown): ApiError | undefined {
  if (!(error instanceof DomainError)) return undefined;
  if (error instanceof AmountTooLarge)
    return new ApiError('validation_failed', 'the request body is invalid', [
      { field: error.field, reason: `at most ${error.max} minor units`, code: 'too_big' },
    ]);
  if (error instanceof AccountNotFound)
    return new ApiError(
      'not_found',
      'account not found',
      error.fields.map((field) => ({ field, reason: 'no such account', code: 'account_not_found' })),
    );
  if (error instanceof IdempotencyKeyReused) return new ApiError('idempotency_key_reused', error.message);
  if (error instanceof HoldExpiryOutOfRange)
    return new ApiError('validation_failed', 'the request body is invalid', [
      { field: error.field, reason: error.message, code: 'out_of_range' },
    ]);
  if (error instanceof HoldNotFound) return new ApiError('not_found', 'transfer not found');
  if (error instanceof RefundOfNotFound) return new ApiError('not_found', 'transfer not found');
  if (error instanceof TransferNotRefundable) return new ApiError('transfer_not_refundable', error.message);
  if (error instanceof RefundLegInvalid)
    return new ApiError('validation_failed', 'the request body is invalid', [
      { field: 'leg', reason: error.message, code: error.code },
    ]);
  if (error instanceof RefundExceedsOriginal)
    return new ApiError('validation_failed', 'the request body is invalid', [
      { field: 'amount', reason: error.message, code: 'refund_exceeds_original' },
    ]);
  if (error instanceof CaptureExceedsHold)
    return new ApiError('validation_failed', 'the request body is invalid', [
      { field: 'amount', reason: error.message, code: 'capture_exceeds_hold' },
    ]);
  if (error instanceof PartialCaptureOfSplit)
    return new ApiError('validation_failed', 'the request body is invalid', [
      { field: 'amount', reason: error.message, code: 'partial_capture_of_split' },
    ]);
  if (error instanceof ResourceNotFound) return new ApiError('not_found', error.message);
  if (error instanceof TenantEmailTaken)
    return new ApiError('tenant_email_taken', error.message, [
      { field: error.field, reason: 'already registered', code: 'duplicate' },
    ]);
  if (error instanceof AccountClosed) return new ApiError('account_closed', error.message);
  if (error instanceof AccountNotEmpty)
    return new ApiError('account_not_empty', error.message, [
      { field: error.field, reason: 'the balance is not zero', code: 'account_not_empty' },
    ]);
  if (error instanceof WebhookEndpointLimitReached)
    return new ApiError('webhook_endpoint_limit_reached', error.message);
  if (error instanceof WebhookEndpointDisabled)
    return new ApiError('webhook_endpoint_disabled', error.message);
  if (error instanceof WebhookDeliveryInProgress)
    return new ApiError('webhook_delivery_in_progress', error.message);
  if (error instanceof BalanceHistoryRangeInvalid)
    return new ApiError('validation_failed', 'the request query is invalid', [
      { field: error.field, reason: error.message, code: error.code },
    ]);
  if (error instanceof FxRateUnavailable)
    return new ApiError('fx_rate_unavailable', error.message, [
      { field: error.field, reason: 'no rate set for this pair', code: 'fx_rate_unavailable' },
    ]);
  return undefined;
}

export function sendError(res: Parameters<RequestHandler>[1], error: ApiError): void {
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
      request_id: res.locals.requestId ?? 'unknown',
    },
  };
  res.status(error.status).set(error.headers).json(body);
}

/**
 * Body-parser failures arrive as http-errors with a `type` (body-parser 2 and raw-body); map them
 * to our codes. A body whose Content-Encoding does not decode (garbage labelled gzip, br, deflate
 * or zstd) arrives as zlib's own error with `status` 400 and no `type`; any other client error it
 * raises (status 4xx, `expose`) is the client's as well, never a 500.
 */
function fromBodyParser(error: unknown): ApiError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  switch ('type' in error ? error.type : undefined) {
    case 'entity.parse.failed':
      return new ApiError('invalid_json', 'the body is not valid JSON');
    case 'entity.too.large':
      return new ApiError('payload_too_large', 'the body is too large');
    case 'encoding.unsupported':
      return new ApiError(
        'unsupported_media_type',
        'the Content-Encoding is not supported; send identity, gzip, deflate, br or zstd',
      );
    case 'charset.unsupported':
      return new ApiError('unsupported_media_type', 'the body charset is not supported; send UTF-8');
    case 'request.size.invalid':
      return new ApiError('invalid_body', 'the body length does not match Content-Length');
    case 'request.aborted':
      return new ApiError('invalid_body', 'the request was aborted before its body was read');
  }
  const status = 'status' in error ? error.status : undefined;
  if (error instanceof URIError && status === 400)
    // The router could not percent-decode a path segment it was about to match as a parameter.
    return new ApiError('validation_failed', 'the request path is invalid', [
      { field: 'path', reason: 'not valid percent-encoded UTF-8', code: 'invalid_encoding' },
    ]);
  const exposed = 'expose' in error && error.expose === true;
  if (typeof status !== 'number' || status < 400 || status > 499 || !exposed) return undefined;
  if (status === 413) return new ApiError('payload_too_large', 'the body is too large');
  if (status === 415) return new ApiError('unsupported_media_type', 'the body encoding is not supported');
  return new ApiError('invalid_body', 'the body could not be decoded as its Content-Encoding says');
}

/** The one place errors become responses: known ones with their code, the rest a logged 500 without internals. */
export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  const known =
    error instanceof ApiError ? error : (fromDomain(error) ?? fromBodyParser(error) ?? fromOutage(error));
  if (known) {
    if (known.code === 'service_unavailable') req.log.warn({ err: error }, known.message);
    else if (known.status >= 500) req.log.error({ err: error }, known.message);
    sendError(res, known);
    return;
  }
  req.log.error({ err: error }, 'unhandled error');
  sendError(
    res,
    new ApiError('internal_error', 'an internal error occurred; quote the request id when reporting it'),
  );
};

export const routeNotFound: RequestHandler = (req, _res, next) => {
  next(new ApiError('route_not_found', `no route for ${req.method} ${req.path}`));
};

/** POST/PUT/PATCH bodies must be JSON. */
export const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody =
    req.headers['content-length'] !== '0' &&
    (req.headers['content-length'] || req.headers['transfer-encoding']);
  if (['POST', 'PUT', 'PATCH'].includes(req.method) && hasBody && !req.is('application/json')) {
    next(new ApiError('unsupported_media_type', 'send the body as application/json'));
    return;
  }
  next();
};
