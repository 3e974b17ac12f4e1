/**
 * The transport for each URL scheme. A new way to reach a device (for example through
 * the hub, `hub://`) is one more scheme in url.ts and one more adapter here.
 */
import type { DeviceScheme } from '../url.js';
import { openHub } from './hub.js';
import { openTcp } from './tcp.js';
import { openTls } from './tls.js';
import type { Transport } from './transport.js';

export const TRANSPORTS: Readonly<Record<DeviceScheme, Transport>> = {
  tcp: openTcp,
  tls: openTls,
  hub: openHub,
};
