/**
 * The socket side of a network terminal (`picolink term`): a TCP or UDP link, as client
 * (`connect`) or server (`listen`), reporting bytes and status in words. What to show and
 * what a typed line becomes is the terminal core's business (core/terminal-core.ts).
 */
import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import type { PicolinkError } from '@picolink/protocol';
import { bindUdp, connect, connectFailed, connectUdp, hostPort, listenTcp, tcpPort, udpPortUnreachable } from '@picolink/net';
import { MessageTcpServer } from '../server/message-tcp-server.js';

export type TermTransport = 'tcp' | 'udp';

export interface TermTarget {
  transport: TermTransport;
  /** `connect`: to a server at host:port; `listen`: on port, at host. */
  role: 'connect' | 'listen';
  host: string;
  port: number;
}

export interface TermDataInfo {
  /** The bytes are a whole datagram. */
  whole: boolean;
  /** Who sent them (`host:port`), when more than one peer may be talking. */
  source?: string;
}

export interface TermLinkEvents {
  onData(bytes: Uint8Array, info: TermDataInfo): void;
  /** Something about the link in words: connected, listening, a client left. */
  onStatus(text: string): void;
  /** A problem that does not end the link, e.g. a UDP port that answered "unreachable". */
  onWarning(error: PicolinkError): void;
  /** The link ended by itself (the TCP server closed the connection). */
  onEnd(error?: PicolinkError): void;
}

export interface TermLinkOptions {
  /** Give up connecting after this long, in ms. Default 5000. */
  connectTimeoutMs?: number;
  /** `listen tcp`: clients at once. Default 16. */
  maxClients?: number;
}

export interface TermLink {
  /** `tcp 127.0.0.1:9932`: what the link talks to or listens on. */
  readonly description: string;
  /** The local port when listening (useful with port 0), else the remote port. */
  readonly port: number;
  /** Sends bytes to the peer (listen mode: every TCP client, or the last UDP sender); returns how many peers. */
  send(bytes: Uint8Array): number;
  close(): Promise<void>;
}

export function openTermLink(target: TermTarget, events: TermLinkEvents, options: TermLinkOptions = {}): Promise<TermLink> {
  if (target.role === 'listen') return target.transport === 'tcp' ? listenTcpLink(target, events, options) : listenUdpLink(target, events);
  return target.transport === 'tcp' ? connectTcpLink(target, events, options) : connectUdpLink(target, events);
}

async function connectTcpLink(target: TermTarget, events: TermLinkEvents, options: TermLinkOptions): Promise<TermLink> {
  const where = hostPort(target.host, target.port);
  const socket = await connect({ host: target.host, port: target.port, timeoutMs: options.connectTimeoutMs ?? 5000 });
  let failure: PicolinkError | undefined;
  let closing = false;
  socket.on('data', (chunk: Buffer) => events.onData(chunk, { whole: false }));
  socket.on('error', (err) => {
    failure = connectFailed(where, err);
  });
  socket.on('close', () => {
    if (closing) return;
    if (!failure) events.onStatus(`connection closed by ${where}`);
    events.onEnd(failure);
  });
  events.onStatus(`connected to tcp ${where}`);
  return {
    description: `tcp ${where}`,
    port: target.port,
    send: (bytes) => (socket.write(bytes), 1),
    close: () => {
      closing = true;
      return new Promise((done) => {
        if (socket.destroyed) return done();
        socket.once('close', () => done());
        socket.end();
        setTimeout(() => socket.destroy(), 500).unref();
      });
    },
  };
}

async function listenTcpLink(target: TermTarget, events: TermLinkEvents, options: TermLinkOptions): Promise<TermLink> {
  const listener = await listenTcp(target.host, target.port);
  const port = tcpPort(listener);
  const server = new MessageTcpServer(
    listener,
    {
      onConnect: (conn) => events.onStatus(`${conn.peer} connected`),
      onMessage: (conn, bytes) => events.onData(bytes, server.connections.length > 1 ? { whole: false, source: conn.peer } : { whole: false }),
      onClose: (conn, info) => events.onStatus(`${conn.peer} disconnected${info.error ? `: ${info.error.message}` : ''}`),
      onRefuse: (peer, error) => events.onStatus(`${peer} refused: ${error.message}`),
    },
    { delimiter: 'none', maxClients: options.maxClients ?? 16 },
  );
  const description = `tcp ${hostPort(target.host, port)}`;
  events.onStatus(`listening on ${description}`);
  return {
    description,
    port,
    send: (bytes) => server.connections.filter((conn) => conn.sendRaw(bytes)).length,
    close: () => server.close(),
  };
}

async function connectUdpLink(target: TermTarget, events: TermLinkEvents): Promise<TermLink> {
  const where = hostPort(target.host, target.port);
  const socket = await connectUdp(target.host, target.port);
  socket.on('message', (data: Buffer) => events.onData(data, { whole: true }));
  socket.on('error', (err: NodeJS.ErrnoException) => {
    // Linux reports an ICMP "port unreachable" for a connected UDP socket as ECONNREFUSED.
    events.onWarning(err.code === 'ECONNREFUSED' ? udpPortUnreachable(where) : connectFailed(where, err));
  });
  events.onStatus(`sending to udp ${where} (each line is one datagram)`);
  return {
    description: `udp ${where}`,
    port: target.port,
    send: (bytes) => (socket.send(bytes), 1),
    close: () => closeUdp(socket),
  };
}

async function listenUdpLink(target: TermTarget, events: TermLinkEvents): Promise<TermLink> {
  const socket = await bindUdp(target.host, target.port);
  const port = socket.address().port;
  let lastSender: RemoteInfo | undefined;
  socket.on('message', (data: Buffer, from: RemoteInfo) => {
    lastSender = from;
    events.onData(data, { whole: true, source: hostPort(from.address, from.port) });
  });
  socket.on('error', (err) => events.onStatus(`udp error: ${err.message}`));
  const description = `udp ${hostPort(target.host, port)}`;
  events.onStatus(`listening on ${description}; lines typed go to the last sender`);
  return {
    description,
    port,
    send: (bytes) => {
      if (!lastSender) return 0;
      socket.send(bytes, lastSender.port, lastSender.address);
      return 1;
    },
    close: () => closeUdp(socket),
  };
}

function closeUdp(socket: UdpSocket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}
