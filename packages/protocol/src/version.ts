/** Protocol version spoken by this package (docs/protocol.md#versioning). */
export const PROTOCOL_VERSION = 1;

/** Default TCP port of a device in server mode (the piconetcontrol default). */
export const DEFAULT_DEVICE_PORT = 12345;

/** Default TCP port of a hub's device gateway, where devices dial home (docs/protocol.md#dial-home). */
export const DEFAULT_HUB_GATEWAY_PORT = 12400;

/** Default port of a hub's HTTP API and device links (`hub://HOST:PORT/devices/ID`). */
export const DEFAULT_HUB_HTTP_PORT = 8080;

/** Default hard maximum size of one control frame, newline excluded (64 KiB). */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;

/** Default hard maximum size of one telemetry datagram. */
export const MAX_DATAGRAM_BYTES = 4096;

/**
 * Capability names a picolink device reports in get_version and get_info
 * (docs/protocol.md#capabilities). `pipeline` tells a client it may send several
 * requests with ids before the first response.
 */
export const CAPABILITIES = ['pipeline', 'events', 'leases', 'failsafe', 'pwm', 'adc', 'update', 'telemetry'] as const;
export type Capability = (typeof CAPABILITIES)[number] | 'tls';
