/** list_actions: the actions this device answers. */
import { ACTION_NAMES } from '@picolink/protocol';
import type { ActionHandler } from './context.js';

export const listActions: ActionHandler<'list_actions'> = function listActions() {
  return { actions: [...ACTION_NAMES] };
};
