/**
 * Asking a new connection for the watches the lost one had. The device keeps watches
 * per connection, so each is sent again; a device that restarted has also forgotten its
 * pins, so an input the program set up is set up again first (outputs never are: after a
 * restart the program decides what they drive). Any error here is returned, not thrown,
 * except a lost connection, which fails the reconnect attempt.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { PinId } from '@picolink/protocol';
import type { Connection } from './connection/connection.js';
import type { Edge } from './pin-watches.js';
import { isErrorResponse, responseError } from './response-error.js';

export interface ActiveWatch {
  pin: PinId;
  edge: Edge;
  debounceMs: number;
}

/**
 * Re-sends watch_pin for each watch (after the input's setup_pin from `inputSetups`,
 * wire fields by pin, when the device says the pin is not set up). Resolves with one
 * error per pin that could not be watched again.
 */
export async function restoreWatches(
  connection: Connection,
  watches: ActiveWatch[],
  inputSetups: ReadonlyMap<string, Record<string, unknown>>,
): Promise<PicolinkError[]> {
  const failures: PicolinkError[] = [];
  for (const { pin, edge, debounceMs } of watches) {
    const watch = { action: 'watch_pin', pin, edge, debounce_ms: debounceMs };
    let answer = await connection.request(watch);
    const setup = inputSetups.get(String(pin));
    if (isErrorResponse(answer) && answer.code === ErrorCode.PIN_NOT_SETUP && setup !== undefined) {
      const setupAnswer = await connection.request(setup);
      answer = isErrorResponse(setupAnswer) ? setupAnswer : await connection.request(watch);
    }
    if (isErrorResponse(answer)) {
      const cause = responseError(answer);
      failures.push(new PicolinkError(cause.code, `pin ${String(pin)} is no longer watched after reconnecting: ${cause.message}`, { cause }));
    }
  }
  return failures;
}
