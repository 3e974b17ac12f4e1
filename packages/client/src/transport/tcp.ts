/** The `tcp://` transport: a plain TCP socket with a connect timeout. */
import type { Socket } from 'node:net';
import { connect } from '@picolink/net';
import type { DeviceUrl } from '../url.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEVICE_CONNECT_HINT } from './transport.js';
import type { TransportOptions } from './transport.js';

export function openTcp(url: DeviceUrl, options: TransportOptions): Promise<Socket> {
  return connect({ host: url.host, port: url.port, timeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, hint: DEVICE_CONNECT_HINT });
}
