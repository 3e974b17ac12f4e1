/** set_pwm: switch a pin to PWM at `freq` Hz with `duty` 0-1. */
import type { ActionHandler } from './context.js';

export const setPwm: ActionHandler<'set_pwm'> = function setPwm(request, context) {
  const { pin, freq, duty } = request.fields;
  return { duty_u16: context.runtime.pins.setPwm(pin, freq, duty) };
};
