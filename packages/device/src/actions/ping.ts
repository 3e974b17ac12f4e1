/** ping: answer at once; round trips and heartbeats. */
import type { ActionHandler } from './context.js';

export const ping: ActionHandler<'ping'> = function ping() {
  return {};
};
