/**
 * Errors of the HTTP API: always a `{ error, code }` JSON body (code from docs/errors.md)
 * with the HTTP status that fits the code. Fastify's own errors (bad JSON, body too
 * large, wrong content type) are turned into the same shape.
 */
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
  PL_ERR_NOT_OBJECT: 400,
  PL_ERR_BAD_UTF8: 400,
  PL_ERR_MISSING_FIELD: 400,
  PL_ERR_UNKNOWN_FIELD: 400,
  PL_ERR_BAD_TYPE: 400,
  PL_ERR_OUT_OF_RANGE: 400,
  PL_ERR_FIELD_CONFLICT: 400,
  PL_ERR_UPDATE_HASH: 400,
  PL_ERR_NO_SUCH_PIN: 400,
  PL_ERR_UNAUTHORIZED: 401,
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

/** Sends a coded error with its status. */
export function sendError(reply: FastifyReply, err: PicolinkError): FastifyReply {
  return reply.code(statusFor(err.code)).type('application/json; charset=utf-8').send(errorBody(err));
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

/** Answer for paths the API does not have. */
export function apiOnNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0] ?? request.url;
  return sendError(reply, new PicolinkError(ErrorCode.NOT_FOUND, `the hub has no route ${request.method} ${path}; the routes are listed in /api/openapi.json`));
}
