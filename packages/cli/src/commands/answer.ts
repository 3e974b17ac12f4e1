/** A device's raw answer (`Device.send`) checked: an error answer becomes a coded error naming its code. */
import { ErrorCode, isErrorCode, PicolinkError } from '@picolink/protocol';

/**
 * Returns a success answer as it is; throws a PicolinkError with the answer's code for
 * an error answer. `explain` may replace the device's message for a code the command
 * knows more about (e.g. PL_ERR_UNKNOWN_ACTION from a device without simulated pins).
 */
export function requireOk(response: Record<string, unknown>, explain: Partial<Record<string, string>> = {}): Record<string, unknown> {
  if (response.ok === true) return response;
  const code = isErrorCode(response.code) ? response.code : ErrorCode.BAD_RESPONSE;
  const message = explain[code] ?? (typeof response.error === 'string' ? response.error : 'the device answered with an error and no message');
  throw new PicolinkError(code, `${message} (${code})`);
}
