/**
 * `startTextServer`: the tutorials' servers — `hello`, `echo`, `reverse` — over TCP, UDP
 * or both on one port number, for many clients at once, reporting every connect,
 * disconnect and message as a {@link ServeEvent}.
 */
import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import type { Server } from 'node:net';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { CR_BYTE, delimiterByte, NEWLINE_BYTE, withDelimiter } from '../core/delimiter.js';
import type { Delimiter } from '../core/delimiter.js';
import { replyTo } from '../core/replies.js';
import type { ServeMode } from '../core/replies.js';
import { bindTcpAndUdp, bindUdp, closeTcp, hostPort, KindBudget, listenTcp, tcpPort } from '@picolink/net';
import { MessageTcpServer } from '../server/message-tcp-server.js';
import type { MessageTcpServerOptions } from '../server/message-tcp-server.js';
import type { ServeEvent } from './serve-events.js';

export interface TextServerOptions extends Omit<MessageTcpServerOptions, 'delimiter' | 'oneClientAtATime'> {
  /** What to answer: `hello, <message>`, the message, or its bytes reversed. */
  mode: ServeMode;
  /** TCP port to listen on (0: any free port). Default: no TCP. */
  tcpPort?: number;
  /** UDP port to listen on (0: any free port). Equal to `tcpPort`: the same number for both. Default: no UDP. */
  udpPort?: number;
  /** Address to listen on. Default "0.0.0.0" (every interface: boards on the network reach it). */
  host?: string;
  /** How TCP messages end. Default `none`: each read is a message, as the tutorials' servers do. */
  delimiter?: Delimiter;
  /** Receives every event (already rate-limited per kind). Default: none. */
  onEvent?: (event: ServeEvent) => void;
  /** Events of one kind reported per second; the rest are counted in a `suppressed` event. Default 100. */
  eventsPerSecond?: number;
  /** Aborting it closes the server, as close() does. */
  signal?: AbortSignal;
}

export interface RunningTextServer {
  host: string;
  /** The TCP port bound, when TCP was asked for. */
  tcpPort?: number;
  /** The UDP port bound, when UDP was asked for. */
  udpPort?: number;
  /** Stops listening and closes every client. */
  close(): Promise<void>;
}

const LIMITED_KINDS = new Set(['connect', 'disconnect', 'refused', 'message', 'error']);

export async function startTextServer(options: TextServerOptions): Promise<RunningTextServer> {
  const host = options.host ?? '0.0.0.0';
  const delimiter = options.delimiter ?? 'none';
  if (options.tcpPort === undefined && options.udpPort === undefined) {
    throw new PicolinkError(ErrorCode.USAGE, 'give a TCP port, a UDP port or both');
  }
  const onEvent = options.onEvent ?? (() => {});
  const limiter = new KindBudget((kind, count) => onEvent({ event: 'suppressed', kind, count }), { perWindow: options.eventsPerSecond ?? 100, windowMs: 1000, reportWhenIdle: true });
  const emit = (event: ServeEvent): void => {
    if (!LIMITED_KINDS.has(event.event) || limiter.allow(event.event)) onEvent(event);
  };

  let listener: Server | undefined;
  let udp: UdpSocket | undefined;
  if (options.tcpPort !== undefined && options.tcpPort === options.udpPort) {
    ({ tcp: listener, udp } = await bindTcpAndUdp(host, options.tcpPort));
  } else {
    if (options.tcpPort !== undefined) listener = await listenTcp(host, options.tcpPort);
    try {
      if (options.udpPort !== undefined) udp = await bindUdp(host, options.udpPort);
    } catch (err) {
      if (listener) await closeTcp(listener);
      throw err;
    }
  }

  const tcpServer = listener ? serveTcp(listener, options, delimiter, emit) : undefined;
  if (udp) serveUdp(udp, options.mode, delimiter, emit);

  const running: RunningTextServer = {
    host,
    close: async () => {
      options.signal?.removeEventListener('abort', onAbort);
      const closing: Promise<void>[] = [];
      if (tcpServer) closing.push(tcpServer.close());
      if (udp) closing.push(new Promise((resolve) => udp.close(() => resolve())));
      await Promise.all(closing);
      limiter.close();
    },
  };
  function onAbort(): void {
    void running.close();
  }
  if (listener) {
    running.tcpPort = tcpPort(listener);
    onEvent({ event: 'listening', transport: 'tcp', host, port: running.tcpPort, mode: options.mode, delimiter });
  }
  if (udp) {
    running.udpPort = udp.address().port;
    onEvent({ event: 'listening', transport: 'udp', host, port: running.udpPort, mode: options.mode, delimiter });
  }
  if (options.signal?.aborted) await running.close();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  return running;
}

function serveTcp(listener: Server, options: TextServerOptions, delimiter: Delimiter, emit: (event: ServeEvent) => void): MessageTcpServer {
  const server = new MessageTcpServer(
    listener,
    {
      onConnect: (conn) => emit({ event: 'connect', transport: 'tcp', peer: conn.peer, clients: server.connections.length }),
      onMessage: (conn, message) => {
        const reply = replyTo(options.mode, message);
        conn.send(reply);
        emit({ event: 'message', transport: 'tcp', peer: conn.peer, message, reply });
      },
      onClose: (conn, info) =>
        emit({
          event: 'disconnect',
          transport: 'tcp',
          peer: conn.peer,
          by: info.by,
          messages: conn.messagesIn,
          droppedBytes: info.droppedBytes,
          ...(info.error ? { code: info.error.code, error: info.error.message } : {}),
        }),
      onRefuse: (peer, error) => emit({ event: 'refused', transport: 'tcp', peer, code: error.code, error: error.message }),
    },
    { ...options, delimiter },
  );
  return server;
}

/**
 * UDP: each datagram is one message. With `lf` or `nul`, one trailing delimiter is taken
 * off the message and put back on the reply, so line- and NUL-based peers get what they
 * expect.
 */
function serveUdp(socket: UdpSocket, mode: ServeMode, delimiter: Delimiter, emit: (event: ServeEvent) => void): void {
  const end = delimiterByte(delimiter);
  function udpOnMessage(datagram: Buffer, from: RemoteInfo): void {
    const peer = hostPort(from.address, from.port);
    let message: Uint8Array = datagram;
    let terminated = false;
    if (end !== undefined && message[message.length - 1] === end) {
      terminated = true;
      message = message.subarray(0, message.length - 1);
      if (end === NEWLINE_BYTE && message[message.length - 1] === CR_BYTE) message = message.subarray(0, message.length - 1);
    }
    const reply = replyTo(mode, message);
    socket.send(terminated ? withDelimiter(reply, delimiter) : reply, from.port, from.address, (err) => {
      if (!err) return;
      const code = (err as NodeJS.ErrnoException).code === 'EMSGSIZE' ? ErrorCode.MESSAGE_TOO_LARGE : ErrorCode.CONNECTION_CLOSED;
      emit({ event: 'error', transport: 'udp', peer, code, error: `reply not sent: ${err.message}` });
    });
    emit({ event: 'message', transport: 'udp', peer, message, reply });
  }
  function udpOnError(err: Error): void {
    emit({ event: 'error', transport: 'udp', code: ErrorCode.INTERNAL, error: err.message });
  }
  socket.on('message', udpOnMessage);
  socket.on('error', udpOnError);
}
