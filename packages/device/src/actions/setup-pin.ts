/** setup_pin: input (with pull) or output (with initial and safe level); takes ownership of the pin. */
import type { PinSetup } from '../pins/registry.js';
import type { ActionHandler } from './context.js';

export const setupPin: ActionHandler<'setup_pin'> = function setupPin(request, context) {
  const { pin, mode, pull, value, safe, safe_after_ms: safeAfterMs } = request.fields;
  const setup: PinSetup = { mode, pull };
  // An input has no level of its own to set; piconetcontrol clients may still send one.
  if (mode === 'output' && value !== undefined) setup.value = value;
  if (safe !== undefined) setup.safe = safe;
  if (safeAfterMs !== undefined) setup.safeAfterMs = safeAfterMs;
  return { value: context.runtime.pins.setup(pin, setup, context.connection.id) };
};
