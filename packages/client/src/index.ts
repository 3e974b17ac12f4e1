export { connect } from './connect.js';
export type { ConnectOptions } from './connect.js';
export { Device } from './device.js';
export type { DeviceEvents, DeviceOptions, LegacyDeviceInfo, Reopen, SleepOptions, UpdateOptions, UpdateResult } from './device.js';
export type { ReconnectedInfo, ReconnectingInfo, ReconnectOptions } from './reconnect.js';
export type { CamelCase, Camelized, DeviceEvent, PinChange } from './wire-names.js';
export { Pin } from './pin.js';
export type { Level, PinSetupOptions, PinWatchOptions, PinWriteOptions, PinWriteResult } from './pin.js';
export type { Edge, PinChangeCallback } from './pin-watches.js';
export { AdcChannel } from './adc.js';
export type { AdcReading } from './adc.js';
export { ResponseError } from './response-error.js';
export type { ActionResponse, CallOptions, DeviceInfo, RequestInput, ResultOf } from './types.js';
export type { ConnectionOptions, MatchingMode } from './connection/connection.js';
export type { PeerInfo } from './connection/handshake.js';
export { parseDeviceUrl, SUPPORTED_SCHEMES } from './url.js';
export type { DeviceScheme, DeviceUrl, ParseDeviceUrlOptions } from './url.js';
export { TRANSPORTS } from './transport/registry.js';
export { HUB_TOKEN_ENV, hubLinkPath } from './transport/hub.js';
export { DEFAULT_CONNECT_TIMEOUT_MS } from './transport/transport.js';
export type { Transport, TransportOptions } from './transport/transport.js';
export { fingerprintOf } from './tls/fingerprint.js';
export { isFingerprint, normalizeFingerprint } from '@picolink/protocol';
export { addKnownDevice, defaultKnownDevicesPath, findKnownDevice, KNOWN_DEVICES_ENV, readKnownDevices } from './tls/known-devices.js';
export type { KnownDevice } from './tls/known-devices.js';
export type { TlsTrustOptions } from './tls/verify.js';
export { generateCertificate, writeCertificateFiles } from './tls/certs.js';
export type { CertificateFiles, CertificateOptions, GeneratedCertificate } from './tls/certs.js';
// The tcpcom-style event API and the non-blocking UDP client, for the plain-text socket
// tutorials (from @picolink/nettools).
export { TcpClient, TcpClientState, TcpServer, TcpServerState, UdpClient } from '@picolink/nettools';
export type {
  Datagram,
  Delimiter,
  TcpClientOptions,
  TcpClientStateListener,
  TcpClientStateValue,
  TcpServerClient,
  TcpServerOptions,
  TcpServerStateListener,
  TcpServerStateValue,
  UdpClientOptions,
} from '@picolink/nettools';
