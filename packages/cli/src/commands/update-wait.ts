/**
 * After an update: wait for the device to restart into the new files and answer again.
 * A device that answers with an uptime longer than the time since the update was
 * accepted has not restarted yet (its restart is still pending, or the connection reached
 * it just before); it is asked again shortly after.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@picolink/client';
import type { ConnectOptions } from '@picolink/client';
import { ErrorCode, PicolinkError } from '@picolink/protocol';

/** Pause between attempts to reach the restarting device, in ms. */
const RETRY_MS = 250;
/** Longest single connection attempt, in ms. */
const ATTEMPT_MS = 3000;

export interface RestartedDevice {
  /** get_info's `info` as the device sent it (wire names), or {} from a peer without one. */
  info: Record<string, unknown>;
  /** Time from the update's answer to the device answering again, in ms. */
  afterMs: number;
}

/**
 * Polls `url` from `delayMs` after `acceptedAt` (performance.now() when the update was
 * answered) until the restarted device answers get_info, or `timeoutMs` more have passed
 * (PL_ERR_TIMEOUT).
 */
export async function waitForRestart(url: string, options: ConnectOptions, acceptedAt: number, delayMs: number, timeoutMs: number): Promise<RestartedDevice> {
  await sleep(Math.max(0, acceptedAt + delayMs - performance.now()));
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    const attemptMs = Math.max(1, Math.min(ATTEMPT_MS, deadline - performance.now()));
    try {
      const device = await connect(url, { ...options, connectTimeoutMs: attemptMs, timeoutMs: attemptMs, heartbeatMs: 0 });
      try {
        const response = await device.send({ action: 'get_info' });
        if (response.ok === false) {
          // A hub answers for a device that is still restarting (PL_ERR_DEVICE_OFFLINE): not back yet.
          last = `${String(response.error)} (${String(response.code)})`;
        } else {
          const info = response.info !== null && typeof response.info === 'object' ? (response.info as Record<string, unknown>) : {};
          const sinceAccepted = performance.now() - acceptedAt;
          if (typeof info.uptime_ms !== 'number' || info.uptime_ms <= sinceAccepted) return { info, afterMs: sinceAccepted };
          last = `it has been up ${info.uptime_ms} ms: not restarted yet`;
        }
      } finally {
        await device.close();
      }
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(RETRY_MS);
  }
  throw new PicolinkError(ErrorCode.TIMEOUT, `the device did not come back within ${timeoutMs} ms of its restart (last: ${last}); check it with picolink send ${url} -c action=get_info`);
}
