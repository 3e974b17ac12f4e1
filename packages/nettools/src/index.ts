/**
 * @picolink/nettools: plain-text network tools for the classic Pico W / Raspberry Pi
 * socket tutorials — the hello/echo/reverse servers, the tcpcom-style event API, a
 * non-blocking UDP client and the terminal behind `picolink term`. The browser-safe part
 * is also available alone as `@picolink/nettools/core`.
 */
export * from './core/index.js';
export { bindTcpAndUdp, bindUdp, connectFailed, connectTimedOut, hostPort, listenTcp } from '@picolink/net';
export { MessageTcpServer, MessageConnection, DEFAULT_MAX_CLIENTS } from './server/message-tcp-server.js';
export type { CloseInfo, MessageTcpHandlers, MessageTcpServerOptions } from './server/message-tcp-server.js';
export { startTextServer } from './serve/text-server.js';
export type { RunningTextServer, TextServerOptions } from './serve/text-server.js';
export { formatServeEvent, serveEventJson } from './serve/serve-events.js';
export type { ServeEvent, Transport } from './serve/serve-events.js';
export { TcpServerState, TcpClientState } from './tcpcom/states.js';
export type { TcpClientStateValue, TcpServerStateValue } from './tcpcom/states.js';
export { TcpServer } from './tcpcom/tcp-server.js';
export type { TcpServerClient, TcpServerOptions, TcpServerStateListener } from './tcpcom/tcp-server.js';
export { TcpClient } from './tcpcom/tcp-client.js';
export type { TcpClientOptions, TcpClientStateListener } from './tcpcom/tcp-client.js';
export { UdpClient } from './udp/udp-client.js';
export type { Datagram, UdpClientOptions } from './udp/udp-client.js';
export { openTermLink } from './term/links.js';
export type { TermDataInfo, TermLink, TermLinkEvents, TermLinkOptions, TermTarget, TermTransport } from './term/links.js';
