/** update: verify, install and restart into new firmware files (docs/protocol.md#update). */
import type { ActionHandler } from './context.js';

export const update: ActionHandler<'update'> = async function update(request, context) {
  const updated = await context.runtime.update(request.fields);
  return { updated, delay_ms: context.runtime.restartDelayMs() };
};
