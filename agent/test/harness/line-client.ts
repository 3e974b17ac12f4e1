/**
 * The test kit's raw line client (`@picolink/test-kit/line-client`), with the
 * longer waits a board running under MicroPython needs.
 */
import type { Socket } from 'node:net';
import {
  connectWhenUp as deviceConnectWhenUp,
  LineClient as DeviceLineClient,
} from '@picolink/test-kit/line-client';
import type { LineClientOptions } from '@picolink/test-kit/line-client';

export { delay } from '@picolink/test-kit/line-client';
export type { Message } from '@picolink/test-kit/line-client';

/** Default wait for a message from the agent, in ms. */
const AGENT_WAIT_MS = 3000;

export type LineClient = DeviceLineClient;

export const LineClient = {
  connect(port: number, options: LineClientOptions = {}): Promise<DeviceLineClient> {
    return DeviceLineClient.connect(port, { timeoutMs: AGENT_WAIT_MS, ...options });
  },
  /** A client over a socket that is already connected (e.g. one a test server accepted). */
  wrap(socket: Socket): DeviceLineClient {
    return DeviceLineClient.accept(socket, { timeoutMs: AGENT_WAIT_MS });
  },
};

/** Connects and pings, retrying while the board restarts. */
export function connectWhenUp(port: number, timeoutMs = 8000, options: { tls?: boolean } = {}): Promise<DeviceLineClient> {
  return deviceConnectWhenUp(port, timeoutMs, { timeoutMs: AGENT_WAIT_MS, pingTimeoutMs: 1000, retryMs: 50, ...options });
}
