/** sleep: light sleep (frames wait) or deep sleep (connections close, restart on waking). */
import type { ActionHandler } from './context.js';

export const sleep: ActionHandler<'sleep'> = function sleep(request, context) {
  const { time_ms, deep } = request.fields;
  return { delay_ms: context.runtime.scheduleSleep(time_ms, deep) };
};
