/**
 * @picolink/net: the Node socket layer under the device runtime, the SDK, the network
 * tools and the hub, written once — connect and listen with coded errors, a framed
 * connection, a request table, rate limits and reconnect backoff.
 */
export { hostPort, peerOf, udpTypeFor } from './addresses.js';
export { connectFailed, connectTimedOut, isAddressInUse, udpPortUnreachable } from './socket-errors.js';
export { connect, DEFAULT_CONNECT_TIMEOUT_MS } from './connect.js';
export type { ConnectOptions, ConnectTlsOptions } from './connect.js';
export { connectUdp } from './connect-udp.js';
export { bindTcpAndUdp, bindUdp, closeTcp, listenOn, listenTcp, tcpPort } from './listen.js';
export { DEFAULT_CLOSE_GRACE_MS, DEFAULT_MAX_OUTPUT_BYTES, FramedConnection } from './framed-connection.js';
export type { FramedConnectionHandlers, FramedConnectionOptions, StreamFramer } from './framed-connection.js';
export { RequestTable } from './request-table.js';
export type { RequestTableOptions, TableRequest } from './request-table.js';
export { TokenBucket } from './token-bucket.js';
export { KindBudget, RateLimitedLog, silentLog } from './rate-limit.js';
export type { KindBudgetOptions, LogSink, RateLimitedLogOptions } from './rate-limit.js';
export { reconnectDelayMs, sleep } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { hmacSigner } from './telemetry-signer.js';
