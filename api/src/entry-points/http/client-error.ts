import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { HTTP_ERRORS, type ErrorBody, type HttpErrorCode } from '../../../../contracts/src';
import type { Logger } from '../../../../platform/logger';
import { newId } from '../../../../platform/ids';

/** How long a refused connection may stay open for the client to read the answer before it is closed. */
const CLOSE_GRACE_MS = 1_000;

/** Node's parser error codes (llhttp `HPE_*` and its own) and what each is for the client. */
type ParserError = NodeJS.ErrnoException & { rawPacket?: Buffer };

function codeFor(error: ParserError): { code: HttpErrorCode; message: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        code: 'request_header_fields_too_large',
        message: 'the request line and headers are too large (16 KiB at most)',
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { code: 'payload_too_large', message: 'the chunk extensions are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'request_timeout', message: 'the request was not received in time' };
    default:
      return { code: 'malformed_request', message: 'the request is not valid HTTP/1.1' };
  }
}

/**
 * The server's `clientError` listener: a request Node's HTTP parser refuses (headers too large,
 * not HTTP at all) never reaches express, and Node's own answer has no body. This writes the
 * same answer in the common error body, raw, as nothing else is left to write it. Like Node's
 * default, it writes nothing when the connection is gone or a response on it has started.
 */
export function answerClientError(logger: Logger) {
  return (error: ParserError, socket: Duplex): void => {
    // The response of an earlier request on this keep-alive connection, if one is in flight
    // (Node's own default checks the same field before writing).
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const { code, message } = codeFor(error);
    const status = HTTP_ERRORS[code];
    const requestId = newId();
    logger.info({ err_code: error.code, status, req_id: requestId }, 'refused a request HTTP cannot parse');
    const body: ErrorBody = { error: { code, message, request_id: requestId } };
    const json = JSON.stringify(body);
    // An answer to HEAD has no body, or the client reads it as garbage. The method is known only
    // when the packet the parser refused starts the request, as a request Node sends in one write does.
    const head = error.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(json)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        (head ? '' : json),
    );
    // The client may still be sending (the rest of an oversized header): closing at once could
    // reset the connection before it reads the answer.
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  };
}
