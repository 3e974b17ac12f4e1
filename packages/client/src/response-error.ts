/**
 * Error responses as errors. A picolink device names the problem with a stable `code`; a
 * piconetcontrol server sends only a message and a Python exception name, so its known
 * messages are mapped to the matching codes.
 */
import { ErrorCode, isErrorCode, PicolinkError } from '@picolink/protocol';
import type { ErrorCodeValue } from '@picolink/protocol';

/** A device answered with an error; `response` is the whole answer. */
export class ResponseError extends PicolinkError {
  readonly response: Record<string, unknown>;

  constructor(code: ErrorCodeValue, message: string, response: Record<string, unknown>) {
    super(code, message);
    this.name = 'ResponseError';
    this.response = response;
  }
}

const LEGACY_MESSAGES: Array<{ pattern: RegExp; code: ErrorCodeValue; hint?: string }> = [
  { pattern: /^unknown action/i, code: ErrorCode.UNKNOWN_ACTION },
  { pattern: /^incomplete command/i, code: ErrorCode.MISSING_FIELD },
  { pattern: /^pin \S+ not setup/i, code: ErrorCode.PIN_NOT_SETUP, hint: 'send setup_pin first' },
];

/** True for an error answer: `ok: false`, or (legacy peers, which send no `ok`) an `error` field. */
export function isErrorResponse(response: Record<string, unknown>): boolean {
  if (response.ok === false) return true;
  return response.ok === undefined && response.error !== undefined;
}

/** The coded error for an error answer. */
export function responseError(response: Record<string, unknown>): ResponseError {
  if (typeof response.error !== 'string' || response.error === '') {
    const code = isErrorCode(response.code) ? response.code : ErrorCode.BAD_RESPONSE;
    return new ResponseError(code, 'the device reported an error without a message', response);
  }
  const message = response.error;
  if (isErrorCode(response.code)) return new ResponseError(response.code, message, response);
  if (response.code !== undefined) {
    return new ResponseError(ErrorCode.BAD_RESPONSE, `the device reported an error with an unknown code ${(JSON.stringify(response.code) ?? String(response.code)).slice(0, 64)}: ${message.slice(0, 1000)}`, response);
  }
  for (const known of LEGACY_MESSAGES) {
    if (known.pattern.test(message)) return new ResponseError(known.code, known.hint ? `${message}; ${known.hint}` : message, response);
  }
  const exception = typeof response.exception === 'string' ? ` (${response.exception})` : '';
  return new ResponseError(ErrorCode.BAD_RESPONSE, `the device reported an error: ${message}${exception}`, response);
}
