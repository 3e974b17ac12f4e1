/**
 * Events a device pushes (docs/protocol.md#events), as the hub records them. Only the
 * documented fields are kept, so a device cannot fill the store with whatever it adds.
 */
import type { HubEventRecord } from '../store/store.js';

/** A device clock further than this from the hub's is not trusted for an event's time. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const CAUSES: ReadonlySet<string> = new Set(['input', 'write', 'lease', 'failsafe', 'setup', 'reset']);

/**
 * The hub's record of a pin_change event, or undefined when the event is malformed. The
 * record's time is the device's `time` when its clock agrees with the hub's (the welcome
 * set it), else the hub's receive time; `deviceTime` is the device's `t`.
 */
export function pinChangeRecord(deviceId: string, frame: Record<string, unknown>, receivedAt: number): HubEventRecord | undefined {
  const { pin, value, cause, t, time } = frame;
  const pinOk = (typeof pin === 'number' && Number.isInteger(pin) && pin >= 0 && pin <= 63) || pin === 'LED';
  if (!pinOk || (value !== 0 && value !== 1) || typeof cause !== 'string' || !CAUSES.has(cause)) return undefined;
  const deviceTime = typeof t === 'number' && Number.isFinite(t) && t >= 0 ? Math.floor(t) : null;
  const deviceClock = typeof time === 'number' && Number.isFinite(time) && Math.abs(time - receivedAt) <= MAX_CLOCK_SKEW_MS ? Math.floor(time) : undefined;
  const data: Record<string, unknown> = { pin, value, cause };
  if (deviceTime !== null) data.t = deviceTime;
  if (typeof time === 'number' && Number.isFinite(time)) data.time = time;
  return { deviceId, type: 'pin_change', time: deviceClock ?? receivedAt, deviceTime, data };
}
