/**
 * Errors of the HTTP API: always a `{ error, code }` JSON body (code from docs/errors.md)
 * with the HTTP status that fits the code. Fastify's own errors (bad JSON, body too
 * large, wrong content type) are turned into the same shape.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, PicolinkError, toPicolinkError } from '@picolink/protocol';
import type { ErrorCodeValue } from '@picolink/protocol';
import type { HubLog } from './context.js';

/** The JSON body of every error answer. */
export interface ApiErrorBody {
  error: string;
  code: ErrorCodeValue;
}

const STATUS: Partial<Record<ErrorCodeValue, number>> = {
  PL_ERR_BAD_JSON: 400,
  PL_ERR_JSON_TOO_COMPLEX: 400,
  PL_ERR_BAD_URL: 400,
  PL_ERR_NOT_OBJECT: 400,
  PL_ERR_BAD_UTF8: 400,
  PL_ERR_MISSING_FIELD: 400,
  PL_ERR_UNKNOWN_FIELD: 400,
  PL_ERR_BAD_TYPE: 400,
  PL_ERR_OUT_OF_RANGE: 400,
  PL_ERR_FIELD_CONFLICT: 400,
  PL_ERR_UPDATE_HASH: 400,
  PL_ERR_UPDATE_FILE: 400,
  PL_ERR_NO_SUCH_PIN: 400,
  PL_ERR_UNAUTHORIZED: 401,
  PL_ERR_HOST_NOT_ALLOWED: 403,
  PL_ERR_CSRF: 403,
  PL_ERR_DEVICE_EXISTS: 409,
  PL_ERR_DEVICE_NO_COMMANDS: 409,
  PL_ERR_NOT_SUPPORTED: 400,
  PL_ERR_UNKNOWN_ACTION: 400,
  PL_ERR_UNKNOWN_DEVICE: 404,
  PL_ERR_NOT_FOUND: 404,
  PL_ERR_FRAME_TOO_LARGE: 413,
  PL_ERR_RATE_LIMITED: 429,
  PL_ERR_CONNECTION_CLOSED: 502,
  PL_ERR_BAD_RESPONSE: 502,
  PL_ERR_DEVICE_OFFLINE: 503,
  PL_ERR_TOO_MANY_CLIENTS: 503,
  PL_ERR_BUSY: 503,
  PL_ERR_TIMEOUT: 504,
};

/** The HTTP status for an error code; 500 for codes that mean the hub itself failed. */
export function statusFor(code: ErrorCodeValue): number {
  return STATUS[code] ?? 500;
}

export function errorBody(err: PicolinkError): ApiErrorBody {
  return { error: err.message, code: err.code };
}

/** Sends a coded error on a response fastify never saw (requests refused before routing). */
export function sendRawError(res: ServerResponse, err: PicolinkError): void {
  const body = JSON.stringify(errorBody(err));
  res.writeHead(statusFor(err.code), { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Sends a coded error with its status. */
export function sendError(reply: FastifyReply, err: PicolinkError): FastifyReply {
  return reply.code(statusFor(err.code)).type('application/json; charset=utf-8').send(errorBody(err));
}

/** {@link sendError} for a refused credential: a 401 names the scheme to authenticate with. */
export function sendAuthError(reply: FastifyReply, err: PicolinkError): FastifyReply {
  if (err.code === ErrorCode.UNAUTHORIZED) reply.header('www-authenticate', 'Bearer realm="picolink"');
  return sendError(reply, err);
}

/** Fastify's own error codes for bodies it could not read, as protocol errors. */
function fromFastify(err: FastifyError): PicolinkError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new PicolinkError(ErrorCode.BAD_JSON, `the request body is not valid JSON: ${err.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PicolinkError(ErrorCode.FRAME_TOO_LARGE, 'the request body is too large; send fewer commands at once');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new PicolinkError(ErrorCode.BAD_JSON, 'send the body as JSON with "Content-Type: application/json"');
    default:
      if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
        return new PicolinkError(ErrorCode.BAD_TYPE, err.message);
      }
      return undefined;
  }
}

/** The API's error handler: coded errors keep their code; anything else is logged as PL_ERR_INTERNAL. */
export function makeErrorHandler(log: HubLog) {
  return function apiOnError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (err instanceof PicolinkError) return sendError(reply, err);
    const fromFramework = 'code' in err ? fromFastify(err as FastifyError) : undefined;
    if (fromFramework) return sendError(reply, fromFramework);
    const coded = toPicolinkError(err);
    log(`http: ${request.method} ${request.url} failed: ${err.stack ?? err.message}`);
    return sendError(reply, new PicolinkError(coded.code, 'the hub failed to answer this request; see the hub log'));
  };
}

/**
 * Fastify's errors before routing (fastify's `frameworkErrors`): a path whose
 * percent-encoding cannot be decoded, or with a part longer than the router takes.
 */
export function apiOnFrameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0] ?? '';
  const shown = JSON.stringify(path.length > 120 ? `${path.slice(0, 120)}…` : path);
  switch (err.code) {
    case 'FST_ERR_BAD_URL':
      return sendError(reply, new PicolinkError(ErrorCode.BAD_URL, `the path ${shown} is not valid percent-encoding; write "%" as %25 and other bytes as UTF-8 (encodeURIComponent does both)`));
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return sendError(reply, new PicolinkError(ErrorCode.BAD_URL, `the path ${shown} has a part longer than 100 characters; device ids have at most 64`));
    default:
      return sendError(reply, new PicolinkError(ErrorCode.BAD_URL, `the path ${shown} cannot be routed: ${err.message}`));
  }
}

/** What to answer a connection whose bytes are not an HTTP request Node can read. */
function clientErrorAnswer(code: string | undefined): { status: number; text: string; err: PicolinkError } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, text: 'Request Header Fields Too Large', err: new PicolinkError(ErrorCode.FRAME_TOO_LARGE, 'the request line and headers are larger than the hub reads (16 KiB); shorten the URL') };
    case 'HPE_INVALID_URL':
      return { status: 400, text: 'Bad Request', err: new PicolinkError(ErrorCode.BAD_URL, 'the request target holds bytes a URL may not (spaces, control characters); percent-encode them') };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, text: 'Request Timeout', err: new PicolinkError(ErrorCode.TIMEOUT, 'the request did not arrive in time') };
    default:
      return { status: 400, text: 'Bad Request', err: new PicolinkError(ErrorCode.BAD_TYPE, `the request is not HTTP/1.1 the hub can read (${code ?? 'parse error'})`) };
  }
}

/**
 * Node's `clientError`: bytes that are not HTTP (a NUL in the request line, headers past
 * 16 KiB). Answered with the API's coded body, then the connection is closed.
 */
export function httpOnClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { status, text, err: coded } = clientErrorAnswer(err.code);
  const body = JSON.stringify(errorBody(coded));
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** Answer for paths the API does not have. */
export function apiOnNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0] ?? request.url;
  return sendError(reply, new PicolinkError(ErrorCode.NOT_FOUND, `the hub has no route ${request.method} ${path}; the routes are listed in /api/openapi.json`));
}
