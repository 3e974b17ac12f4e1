/** A device's answers as the commands report them: error answers and stray problems become coded, one-line errors. */
import type { Device } from '@picolink/client';
import { ErrorCode, isErrorCode, PicolinkError } from '@picolink/protocol';
import type { Output } from '../output.js';

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

/**
 * Problems the SDK reports outside any request (e.g. an answer with no id, as a device
 * sends for a frame too large to read) are collected here instead of becoming Node
 * warnings; with `io` each is also one line on stderr. Returns the last one.
 */
export function collectPeerErrors(device: Device, io?: Output): () => PicolinkError | undefined {
  let last: PicolinkError | undefined;
  device.on('error', (err) => {
    last = err;
    io?.err(`picolink: ${err.message.split('\n')[0]}\n`);
  });
  return () => last;
}
