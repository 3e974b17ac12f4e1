/**
 * Error codes of the picolink protocol and toolkit. Every code is listed, with what a
 * person should do about it, in docs/errors.md (a test checks that each one is there).
 * See docs/protocol.md#errors.
 */

/** Stable error codes. The string values never change once released. */
export const ErrorCode = {
  // Framing and parsing (docs/protocol.md#framing)
  FRAME_TOO_LARGE: 'PL_ERR_FRAME_TOO_LARGE',
  BAD_UTF8: 'PL_ERR_BAD_UTF8',
  BAD_JSON: 'PL_ERR_BAD_JSON',
  NOT_OBJECT: 'PL_ERR_NOT_OBJECT',
  JSON_TOO_COMPLEX: 'PL_ERR_JSON_TOO_COMPLEX',
  // Request validation (docs/protocol.md#requests)
  UNKNOWN_ACTION: 'PL_ERR_UNKNOWN_ACTION',
  MISSING_FIELD: 'PL_ERR_MISSING_FIELD',
  UNKNOWN_FIELD: 'PL_ERR_UNKNOWN_FIELD',
  BAD_TYPE: 'PL_ERR_BAD_TYPE',
  OUT_OF_RANGE: 'PL_ERR_OUT_OF_RANGE',
  FIELD_CONFLICT: 'PL_ERR_FIELD_CONFLICT',
  // Device state (docs/protocol.md#actions)
  NO_SUCH_PIN: 'PL_ERR_NO_SUCH_PIN',
  PIN_NOT_SETUP: 'PL_ERR_PIN_NOT_SETUP',
  PIN_MODE: 'PL_ERR_PIN_MODE',
  UPDATE_HASH: 'PL_ERR_UPDATE_HASH',
  UPDATE_FILE: 'PL_ERR_UPDATE_FILE',
  BUSY: 'PL_ERR_BUSY',
  INTERNAL: 'PL_ERR_INTERNAL',
  // Connections (docs/protocol.md#connections)
  IDLE_TIMEOUT: 'PL_ERR_IDLE_TIMEOUT',
  SLOW_CONSUMER: 'PL_ERR_SLOW_CONSUMER',
  TOO_MANY_CLIENTS: 'PL_ERR_TOO_MANY_CLIENTS',
  TIMEOUT: 'PL_ERR_TIMEOUT',
  CONNECTION_CLOSED: 'PL_ERR_CONNECTION_CLOSED',
  CONNECT_FAILED: 'PL_ERR_CONNECT_FAILED',
  BAD_URL: 'PL_ERR_BAD_URL',
  BAD_RESPONSE: 'PL_ERR_BAD_RESPONSE',
  NOT_SUPPORTED: 'PL_ERR_NOT_SUPPORTED',
  // TLS (docs/protocol.md#tls)
  TLS_FINGERPRINT_MISMATCH: 'PL_ERR_TLS_FINGERPRINT_MISMATCH',
  TLS_HANDSHAKE: 'PL_ERR_TLS_HANDSHAKE',
  // Telemetry (docs/protocol.md#telemetry)
  TELEMETRY_MALFORMED: 'PL_ERR_TELEMETRY_MALFORMED',
  TELEMETRY_BAD_MAC: 'PL_ERR_TELEMETRY_BAD_MAC',
  // Hub (docs/protocol.md#dial-home)
  UNAUTHORIZED: 'PL_ERR_UNAUTHORIZED',
  HOST_NOT_ALLOWED: 'PL_ERR_HOST_NOT_ALLOWED',
  CSRF: 'PL_ERR_CSRF',
  UNKNOWN_DEVICE: 'PL_ERR_UNKNOWN_DEVICE',
  DEVICE_OFFLINE: 'PL_ERR_DEVICE_OFFLINE',
  DEVICE_NO_COMMANDS: 'PL_ERR_DEVICE_NO_COMMANDS',
  TELEMETRY_REPLAY: 'PL_ERR_TELEMETRY_REPLAY',
  RATE_LIMITED: 'PL_ERR_RATE_LIMITED',
  CONFIG: 'PL_ERR_CONFIG',
  NOT_FOUND: 'PL_ERR_NOT_FOUND',
  DEVICE_EXISTS: 'PL_ERR_DEVICE_EXISTS',
  // Plain-text network tools: serve, term, tcpcom API (docs/errors.md#network-tools)
  LISTEN_FAILED: 'PL_ERR_LISTEN_FAILED',
  MESSAGE_TOO_LARGE: 'PL_ERR_MESSAGE_TOO_LARGE',
  // Command line
  USAGE: 'PL_ERR_USAGE',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Python exception class names sent in the `exception` field, so that piconetcontrol
 * clients, which print that field, see something familiar.
 */
const EXCEPTION_NAMES: Partial<Record<ErrorCodeValue, string>> = {
  PL_ERR_BAD_JSON: 'ValueError',
  PL_ERR_BAD_UTF8: 'UnicodeError',
  PL_ERR_NOT_OBJECT: 'TypeError',
  PL_ERR_JSON_TOO_COMPLEX: 'ValueError',
  PL_ERR_UNKNOWN_ACTION: 'ValueError',
  PL_ERR_MISSING_FIELD: 'KeyError',
  PL_ERR_UNKNOWN_FIELD: 'KeyError',
  PL_ERR_BAD_TYPE: 'TypeError',
  PL_ERR_OUT_OF_RANGE: 'ValueError',
  PL_ERR_FIELD_CONFLICT: 'ValueError',
  PL_ERR_FRAME_TOO_LARGE: 'MemoryError',
  PL_ERR_UPDATE_HASH: 'ValueError',
  PL_ERR_UPDATE_FILE: 'OSError',
  PL_ERR_TIMEOUT: 'TimeoutError',
  PL_ERR_UNAUTHORIZED: 'PermissionError',
  PL_ERR_HOST_NOT_ALLOWED: 'PermissionError',
  PL_ERR_CSRF: 'PermissionError',
};

/** The Python exception class name reported for a code (`RuntimeError` by default). */
export function exceptionNameFor(code: ErrorCodeValue): string {
  return EXCEPTION_NAMES[code] ?? 'RuntimeError';
}

/** An error with a stable `code` and a message a person can act on. */
export class PicolinkError extends Error {
  readonly code: ErrorCodeValue;

  constructor(code: ErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PicolinkError';
    this.code = code;
  }
}

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** True when `value` is one of the codes above. */
export function isErrorCode(value: unknown): value is ErrorCodeValue {
  return typeof value === 'string' && KNOWN_CODES.has(value);
}
