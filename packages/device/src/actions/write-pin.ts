/** write_pin: drive an output for good, or lease it for `timeout` seconds (docs/protocol.md#leases). */
import type { ResultFields } from '@picolink/protocol';
import type { ActionHandler } from './context.js';

export const writePin: ActionHandler<'write_pin'> = function writePin(request, context) {
  const { pin, value, timeout } = request.fields;
  // A positive timeout is a lease even when it is below a millisecond.
  const leaseMs = timeout > 0 ? Math.max(1, Math.round(timeout * 1000)) : 0;
  const outcome = context.runtime.pins.write(pin, value, leaseMs, context.connection.id);
  const result: ResultFields['write_pin'] = { previous: outcome.previous };
  if (outcome.revertsTo !== undefined) result.reverts_to = outcome.revertsTo;
  if (outcome.leaseMs !== undefined) result.lease_ms = outcome.leaseMs;
  return result;
};
