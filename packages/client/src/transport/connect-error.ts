/** Failed connection attempts to a device, as sentences a person can act on. */
import { connectFailed as socketConnectFailed, connectTimedOut as socketConnectTimedOut } from '@picolink/nettools';
import type { PicolinkError } from '@picolink/protocol';

const HINT = 'is the device running and on this network?';

/** `PL_ERR_CONNECT_FAILED` for a socket error raised while connecting to a device. */
export function connectFailed(hostPort: string, err: unknown): PicolinkError {
  return socketConnectFailed(hostPort, err, HINT);
}

/** `PL_ERR_CONNECT_FAILED` when the connection to a device did not open in time. */
export function connectTimedOut(hostPort: string, timeoutMs: number): PicolinkError {
  return socketConnectTimedOut(hostPort, timeoutMs, HINT);
}
