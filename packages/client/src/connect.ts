/** `connect(url)`: open the transport the URL names, then run the handshake. */
import { Device } from './device.js';
import type { DeviceOptions, Reopen } from './device.js';
import { TRANSPORTS } from './transport/registry.js';
import type { TransportOptions } from './transport/transport.js';
import { parseDeviceUrl } from './url.js';

export interface ConnectOptions extends TransportOptions, Omit<DeviceOptions, 'peerName'> {
  /** For a plain `host[:port]` address: connect with TLS. Default false. */
  tls?: boolean;
}

/**
 * Connects to a device at `tcp://host[:port]`, `tls://host[:port]` or a plain
 * `host[:port]` (port 12345 by default), or through a hub at
 * `hub://host[:port]/devices/ID` (port 8080 by default; pass `{ token }`), and resolves
 * once the handshake has told whether it is a picolink device or a stock piconetcontrol
 * server. With `{ reconnect: true }` a lost connection is opened again the same way
 * (see {@link DeviceOptions.reconnect}).
 */
export async function connect(url: string, options: ConnectOptions = {}): Promise<Device> {
  const target = parseDeviceUrl(url, options.tls === undefined ? {} : { tls: options.tls });
  const reopen: Reopen = () => TRANSPORTS[target.scheme](target, options);
  return Device.open(await reopen(), target, options, reopen);
}
