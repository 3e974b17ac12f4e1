/**
 * Transports: small adapters that open a byte stream to a device, chosen by the URL's
 * scheme (as MQTT.js picks `tcp:`/`tls:`/`ws:`); the table is in registry.ts.
 */
import type { Duplex } from 'node:stream';
import type { TlsTrustOptions } from '../tls/verify.js';
import type { DeviceUrl } from '../url.js';

export interface TransportOptions extends TlsTrustOptions {
  /** Time allowed to open the connection (TCP connect plus TLS handshake), in ms. Default 5000. */
  connectTimeoutMs?: number;
  /** `hub://` only: the hub's API token. Default: the PICOLINK_TOKEN environment variable. */
  token?: string;
}

/** Opens a connected, verified stream to the device at `url`, or rejects with a coded error. */
export type Transport = (url: DeviceUrl, options: TransportOptions) => Promise<Duplex>;

export { DEFAULT_CONNECT_TIMEOUT_MS } from '@picolink/net';

/** What a person should check when a device cannot be reached. */
export const DEVICE_CONNECT_HINT = 'is the device running and on this network?';
