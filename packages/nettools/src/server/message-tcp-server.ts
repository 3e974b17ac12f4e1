/**
 * A TCP server for plain-text messages: serves an already-listening `net.Server`, splits
 * each client's bytes into messages, and enforces the limits that keep one client from
 * hurting the others (message size, output, idle time, number of clients). The
 * tutorials' servers (`picolink serve`) and the tcpcom-style `TcpServer` are built on it.
 */
import type { Server, Socket } from 'node:net';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { Delimiter } from '../core/delimiter.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '@picolink/protocol';
import { DEFAULT_MAX_OUTPUT_BYTES, peerOf } from '@picolink/net';
import { MessageConnection } from './message-connection.js';
import type { CloseInfo, ConnectionLimits } from './message-connection.js';

export { MessageConnection } from './message-connection.js';
export type { CloseInfo } from './message-connection.js';

export const DEFAULT_MAX_CLIENTS = 64;

export interface MessageTcpServerOptions {
  /** How messages end: `lf`, `nul` or `none` (each chunk read is a message). */
  delimiter: Delimiter;
  /** Largest message waiting for its delimiter, in bytes; a longer one closes that client. Default 65536. */
  maxMessageBytes?: number;
  /** Clients served at once; more are refused (closed at once). Default 64. */
  maxClients?: number;
  /** Serve one client at a time, as tcpcom does: a second one is refused while one is connected. Default false. */
  oneClientAtATime?: boolean;
  /** Close a client that sent nothing for this long, in ms. Default 0 (never). */
  idleTimeoutMs?: number;
  /** Most bytes waiting to be sent to one client before it is dropped as not reading. Default 1 MiB. */
  maxOutputBytes?: number;
  /** After closing a client for a limit, how long it may take to read the rest, in ms. Default 1000. */
  closeGraceMs?: number;
}

export interface MessageTcpHandlers {
  /** A client was accepted. */
  onConnect?(connection: MessageConnection): void;
  /** A client sent a message. */
  onMessage?(connection: MessageConnection, message: Uint8Array): void;
  /** A client's connection ended. */
  onClose?(connection: MessageConnection, info: CloseInfo): void;
  /** A client was refused (too many clients, or one-client-at-a-time and one is connected). */
  onRefuse?(peer: string, error: PicolinkError): void;
}

export class MessageTcpServer {
  private readonly clients = new Set<MessageConnection>();
  private nextId = 1;
  private stopped = false;
  private readonly limits: ConnectionLimits;
  private readonly maxClients: number;
  private readonly oneClientAtATime: boolean;

  constructor(
    private readonly listener: Server,
    private readonly handlers: MessageTcpHandlers,
    options: MessageTcpServerOptions,
  ) {
    this.limits = {
      delimiter: options.delimiter,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      idleTimeoutMs: options.idleTimeoutMs ?? 0,
      maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
      closeGraceMs: options.closeGraceMs ?? 1000,
    };
    this.maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
    this.oneClientAtATime = options.oneClientAtATime ?? false;
    this.onConnection = this.onConnection.bind(this);
    listener.on('connection', this.onConnection);
  }

  /** The clients connected now. */
  get connections(): MessageConnection[] {
    return [...this.clients];
  }

  /** Stops accepting, closes every client (unsent replies are dropped) and the listener; resolves once all closes were reported. */
  async close(): Promise<void> {
    this.stopped = true;
    this.listener.off('connection', this.onConnection);
    const closed = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    const clients = [...this.clients];
    for (const client of clients) client.close(undefined, true);
    await Promise.all([closed, ...clients.map((client) => client.closed)]);
  }

  private onConnection(socket: Socket): void {
    socket.on('error', socketOnRefusedError);
    if (this.stopped) {
      socket.destroy();
      return;
    }
    const refusal = this.refusal();
    if (refusal) {
      this.handlers.onRefuse?.(peerOf(socket).peer, refusal);
      socket.destroy();
      return;
    }
    socket.off('error', socketOnRefusedError);
    socket.setNoDelay(true);
    const connection = new MessageConnection(this.nextId++, socket, this.limits, {
      onMessage: (conn, message) => this.handlers.onMessage?.(conn, message),
      onClose: (conn, info) => {
        this.clients.delete(conn);
        this.handlers.onClose?.(conn, info);
      },
    });
    this.clients.add(connection);
    try {
      this.handlers.onConnect?.(connection);
    } catch (err) {
      // A failing connect handler ends this connection only, reported as PL_ERR_INTERNAL.
      const detail = err instanceof Error ? err.message : String(err);
      connection.close(new PicolinkError(ErrorCode.INTERNAL, `internal error while accepting the client: ${detail.slice(0, 200)}`, { cause: err }), true);
    }
  }

  private refusal(): PicolinkError | undefined {
    if (this.oneClientAtATime && this.clients.size > 0) {
      return new PicolinkError(ErrorCode.TOO_MANY_CLIENTS, 'the server serves one client at a time and one is connected (server occupied)');
    }
    if (this.clients.size >= this.maxClients) {
      return new PicolinkError(ErrorCode.TOO_MANY_CLIENTS, `the server already serves ${this.maxClients} clients (--max-clients)`);
    }
    return undefined;
  }
}

function socketOnRefusedError(): void {
  // A refused client may reset before it is closed; nothing is left to report.
}
