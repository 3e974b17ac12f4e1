/** reset: restart the device after the action delay; connections close, pins forget their setup. */
import type { ActionHandler } from './context.js';

export const reset: ActionHandler<'reset'> = function reset(_request, context) {
  return { delay_ms: context.runtime.scheduleReset() };
};
