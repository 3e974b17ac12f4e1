/** read_pin: level of an input, or the level an output drives. */
import type { ActionHandler } from './context.js';

export const readPin: ActionHandler<'read_pin'> = function readPin(request, context) {
  return { value: context.runtime.pins.read(request.fields.pin) };
};
