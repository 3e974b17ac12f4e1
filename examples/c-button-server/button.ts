/** The button of tutorial C: an input with a pull-up, so pressed reads 0. */
import type { GpioBackend } from '@picolink/device';

/** The GPIO the examples wire the button to. */
export const BUTTON_PIN = 14;

/** Sets the pin up as an input with its pull-up; returns a reader of the tutorial's two messages. */
export function buttonOn(backend: GpioBackend, pin = BUTTON_PIN): () => 'Button pressed' | 'Button released' {
  backend.configureInput(pin, 'up');
  return () => (backend.read(pin) === 0 ? 'Button pressed' : 'Button released');
}
