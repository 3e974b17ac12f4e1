/** Every action's handler, by name. */
import { validateRequest } from '@picolink/protocol';
import type { ActionName, ValidRequest } from '@picolink/protocol';
import type { GpioBackend } from '../gpio/backend.js';
import type { ActionContext, ActionHandler } from './context.js';
import { getInfo, getResourceInfo } from './get-info.js';
import { getVersion } from './get-version.js';
import { listActions } from './list-actions.js';
import { ping } from './ping.js';
import { readAdc } from './read-adc.js';
import { readPin } from './read-pin.js';
import { reset } from './reset.js';
import { setPwm } from './set-pwm.js';
import { setupPin } from './setup-pin.js';
import { isSimInput, simInput, SIM_INPUT_ACTION, validateSimInput } from './sim-input.js';
import type { SimInputRequest } from './sim-input.js';
import { sleep } from './sleep.js';
import { update } from './update.js';
import { unwatchPin, watchPin } from './watch-pin.js';
import { writePin } from './write-pin.js';

export const ACTION_HANDLERS: { readonly [K in ActionName]: ActionHandler<K> } = {
  ping,
  get_version: getVersion,
  get_info: getInfo,
  get_resource_info: getResourceInfo,
  list_actions: listActions,
  setup_pin: setupPin,
  write_pin: writePin,
  read_pin: readPin,
  set_pwm: setPwm,
  read_adc: readAdc,
  watch_pin: watchPin,
  unwatch_pin: unwatchPin,
  reset,
  sleep,
  update,
};

/** A request this device answers: a protocol action, or sim_input on a simulated device. */
export type DeviceRequest = ValidRequest | SimInputRequest;

/** Validates a request frame against the protocol's actions, and sim_input when `backend` is simulated. */
export function validateDeviceRequest(frame: Record<string, unknown>, backend: GpioBackend): DeviceRequest {
  return isSimInput(frame, backend) ? validateSimInput(frame) : validateRequest(frame);
}

/** Runs a validated request; returns its result fields (maybe later) or throws a PicolinkError. */
export function runAction(request: DeviceRequest, context: ActionContext): object | Promise<object> {
  if (request.action === SIM_INPUT_ACTION) return simInput(request, context.runtime.backend);
  // The table pairs each name with its handler; TypeScript cannot follow that through a union.
  const handler = ACTION_HANDLERS[request.action] as ActionHandler<ActionName>;
  return handler(request as never, context);
}

export type { ActionContext, ActionHandler, ConnectionContext, RequestOf } from './context.js';
export { SIM_INPUT_ACTION } from './sim-input.js';
export type { SimInputRequest, SimInputResult } from './sim-input.js';
