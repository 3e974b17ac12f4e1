/**
 * sim_input: applies a level to a simulated input from outside, as a button or a wire
 * would (`picolink sim input`), so a watch can be seen firing without hardware.
 *
 * Simulator-only on purpose: it is not in the protocol's action table (so `list_actions`,
 * the hub and the MicroPython agent do not know it), and a device whose backend is not a
 * {@link SimulatedBackend} answers it with PL_ERR_UNKNOWN_ACTION, as a real agent does.
 */
import { coerceBit, coercePin, ErrorCode, PicolinkError, readRequestId } from '@picolink/protocol';
import type { PinId, RequestId } from '@picolink/protocol';
import type { GpioBackend, Level } from '../gpio/backend.js';
import { SimulatedBackend } from '../gpio/simulated.js';
import type { SimulatedPinMode } from '../gpio/simulated.js';

export const SIM_INPUT_ACTION = 'sim_input';

export interface SimInputRequest {
  action: typeof SIM_INPUT_ACTION;
  id?: RequestId;
  fields: { pin: PinId; value: Level };
}

/** What the pin is set up as now: an input reports the level to read_pin and watches. */
export interface SimInputResult {
  mode: SimulatedPinMode;
}

const FIELDS: ReadonlySet<string> = new Set(['id', 'action', 'time_sent', 'pin', 'value']);

/** True when `frame` is a sim_input this device answers (its pins are simulated). */
export function isSimInput(frame: Record<string, unknown>, backend: GpioBackend): boolean {
  return frame.action === SIM_INPUT_ACTION && backend instanceof SimulatedBackend;
}

/** Checks a sim_input frame with the same coercion and error codes as the protocol's actions. */
export function validateSimInput(frame: Record<string, unknown>): SimInputRequest {
  const id = readRequestId(frame);
  const missing = ['pin', 'value'].filter((name) => frame[name] === undefined || frame[name] === null);
  if (missing.length > 0) throw new PicolinkError(ErrorCode.MISSING_FIELD, `incomplete command, missing fields: ${missing.join(', ')}`);
  const request: SimInputRequest = { action: SIM_INPUT_ACTION, fields: { pin: coercePin('pin', frame.pin), value: coerceBit('value', frame.value) } };
  for (const name of Object.keys(frame)) {
    if (!FIELDS.has(name)) throw new PicolinkError(ErrorCode.UNKNOWN_FIELD, `unknown field "${name}"; sim_input takes pin, value`);
  }
  if (id !== undefined) request.id = id;
  return request;
}

export function simInput(request: SimInputRequest, backend: GpioBackend): SimInputResult {
  if (!(backend instanceof SimulatedBackend)) {
    throw new PicolinkError(ErrorCode.UNKNOWN_ACTION, `unknown action "${SIM_INPUT_ACTION}", use "list_actions" to list available actions`);
  }
  const { pin, value } = request.fields;
  if (backend.capabilities(pin)?.input === false) {
    throw new PicolinkError(ErrorCode.PIN_MODE, `pin ${String(pin)} is output only; a level can only be applied to a GPIO pin`);
  }
  backend.setInputLevel(pin, value);
  return { mode: backend.pinState(pin).mode };
}
