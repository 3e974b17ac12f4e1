/** watch_pin and unwatch_pin: pin_change events for this connection (docs/protocol.md#events). */
import type { ActionHandler } from './context.js';

export const watchPin: ActionHandler<'watch_pin'> = function watchPin(request, context) {
  const { pin, edge, debounce_ms } = request.fields;
  return { value: context.runtime.pins.watch(pin, context.connection, edge, debounce_ms) };
};

export const unwatchPin: ActionHandler<'unwatch_pin'> = function unwatchPin(request, context) {
  context.runtime.pins.unwatch(request.fields.pin, context.connection);
  return { watching: false };
};
