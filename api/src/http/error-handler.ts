import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ErrorBody } from '../../../contracts/src';
import { isDatabaseUnavailable } from '../../../platform/postgres';
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

/** Body-parser failures arrive as http-errors with a `type`; map them to our codes. */
function fromBodyParser(error: unknown): ApiError | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  switch (error.type) {
    case 'entity.parse.failed':
      return new ApiError('invalid_json', 'the body is not valid JSON');
    case 'entity.too.large':
      return new ApiError('payload_too_large', 'the body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError('unsupported_media_type', 'the body encoding is not supported');
    default:
      return undefined;
  }
}

/** The one place errors become responses: known ones with their code, the rest a logged 500 without internals. */
export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  const known = error instanceof ApiError ? error : (fromBodyParser(error) ?? fromOutage(error));
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
