/**
 * `TcpServer`: the tcpcom library's event-driven server. Construct it and it listens;
 * everything else arrives through `onStateChanged(state, msg, client)`. Messages are
 * strings; NUL-terminated on the wire by default, as tcpcom's are.
 *
 * ```ts
 * const server = new TcpServer(22000, (state, msg, client) => {
 *   if (state === 'MESSAGE' && msg === 'go') client?.sendMessage('Button released');
 * });
 * ```
 */
import type { Server } from 'node:net';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { Delimiter } from '../core/delimiter.js';
import { isAddressInUse, listenTcp, tcpPort } from '@picolink/net';
import { MessageTcpServer } from '../server/message-tcp-server.js';
import type { MessageConnection } from '../server/message-tcp-server.js';
import { TcpServerState } from './states.js';
import type { TcpServerStateValue } from './states.js';
import { callbackFailed, MessageText } from './text-decoding.js';

export interface TcpServerOptions {
  /** Address to listen on. Default "0.0.0.0" (every interface). */
  host?: string;
  /** How messages end on the wire: `nul` (tcpcom), `lf`, or `none` (each read is a message). Default `nul`. */
  delimiter?: Delimiter;
  /** Disconnect a client that sent nothing for this long, in ms (tcpcom's setTimeout). Default 0 (never). */
  idleTimeoutMs?: number;
  /** Serve one client at a time, as tcpcom does; another one is closed at once and sees SERVER_OCCUPIED. Default false. */
  oneClientAtATime?: boolean;
  /** Clients served at once when not one-at-a-time. Default 64. */
  maxClients?: number;
  /** Longest message waiting for its delimiter, in bytes; a longer one disconnects that client. Default 65536. */
  maxMessageBytes?: number;
}

/** A connected client, as passed to the state callback. */
export interface TcpServerClient {
  /** The client's IP address. */
  readonly address: string;
  readonly port: number;
  /** `address:port`. */
  readonly peer: string;
  /** Sends one message (the delimiter is added). False when the client is gone. */
  sendMessage(message: string): boolean;
  /** Closes this client's connection. */
  disconnect(): void;
}

export type TcpServerStateListener = (state: TcpServerStateValue, msg: string, client?: TcpServerClient) => void;

class ServerClient implements TcpServerClient {
  readonly text: MessageText;
  constructor(
    readonly connection: MessageConnection,
    delimiter: Delimiter,
  ) {
    this.text = new MessageText(delimiter);
  }
  get address(): string {
    return this.connection.remoteAddress;
  }
  get port(): number {
    return this.connection.remotePort;
  }
  get peer(): string {
    return this.connection.peer;
  }
  sendMessage(message: string): boolean {
    return this.connection.send(message);
  }
  disconnect(): void {
    this.connection.close();
  }
}

export class TcpServer {
  private server: MessageTcpServer | undefined;
  private boundPort: number | undefined;
  private terminated = false;
  private readonly clientsByConnection = new Map<MessageConnection, ServerClient>();
  private readonly started: Promise<number>;
  private readonly delimiter: Delimiter;

  /** Starts listening on `port` (0: any free port; see {@link port}). */
  constructor(
    readonly requestedPort: number,
    private readonly onStateChanged: TcpServerStateListener,
    private readonly options: TcpServerOptions = {},
  ) {
    this.delimiter = options.delimiter ?? 'nul';
    this.started = this.start();
    // Failures are reported as states; whenListening() hands them to callers that ask.
    this.started.catch(() => {});
  }

  /** Resolves with the port once listening; rejects with `PL_ERR_LISTEN_FAILED` if it cannot listen. */
  whenListening(): Promise<number> {
    return this.started;
  }

  /** The port listened on, once listening. */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** The clients connected now. */
  get clients(): TcpServerClient[] {
    return [...this.clientsByConnection.values()];
  }

  /** True when at least one client is connected. */
  isConnected(): boolean {
    return this.clientsByConnection.size > 0;
  }

  isTerminated(): boolean {
    return this.terminated;
  }

  /** Sends a message to every connected client; returns how many it went to. */
  sendMessage(message: string): number {
    let sent = 0;
    for (const client of this.clientsByConnection.values()) if (client.sendMessage(message)) sent += 1;
    return sent;
  }

  /** Closes every client's connection; the server keeps listening. */
  disconnect(): void {
    for (const client of this.clientsByConnection.values()) client.disconnect();
  }

  /** Closes every connection and stops listening; reports TERMINATED. */
  async terminate(): Promise<void> {
    if (this.terminated) return;
    this.terminated = true;
    try {
      await this.started;
    } catch {
      return;
    }
    await this.server?.close();
    this.emit(TcpServerState.TERMINATED, '');
  }

  private async start(): Promise<number> {
    const host = this.options.host ?? '0.0.0.0';
    let listener: Server;
    try {
      listener = await listenTcp(host, this.requestedPort);
    } catch (err) {
      this.terminated = true;
      if (isAddressInUse(err)) this.emit(TcpServerState.PORT_IN_USE, String(this.requestedPort));
      else this.emit(TcpServerState.TERMINATED, err instanceof Error ? err.message : String(err));
      throw err;
    }
    this.boundPort = tcpPort(listener);
    this.server = new MessageTcpServer(
      listener,
      {
        onConnect: (connection) => this.onConnect(connection),
        onMessage: (connection, message) => this.onMessage(connection, message),
        onClose: (connection) => this.onClose(connection),
      },
      {
        delimiter: this.delimiter,
        oneClientAtATime: this.options.oneClientAtATime ?? false,
        ...(this.options.maxClients !== undefined ? { maxClients: this.options.maxClients } : {}),
        ...(this.options.idleTimeoutMs !== undefined ? { idleTimeoutMs: this.options.idleTimeoutMs } : {}),
        ...(this.options.maxMessageBytes !== undefined ? { maxMessageBytes: this.options.maxMessageBytes } : {}),
      },
    );
    if (this.terminated) {
      await this.server.close();
      throw new PicolinkError(ErrorCode.CONNECTION_CLOSED, 'the server was terminated before it started listening');
    }
    this.emit(TcpServerState.LISTENING, String(this.boundPort));
    return this.boundPort;
  }

  private onConnect(connection: MessageConnection): void {
    const client = new ServerClient(connection, this.delimiter);
    this.clientsByConnection.set(connection, client);
    this.emit(TcpServerState.CONNECTED, client.address, client);
  }

  private onMessage(connection: MessageConnection, message: Uint8Array): void {
    const client = this.clientsByConnection.get(connection);
    if (client) this.emit(TcpServerState.MESSAGE, client.text.decode(message), client);
  }

  private onClose(connection: MessageConnection): void {
    const client = this.clientsByConnection.get(connection);
    if (!client) return;
    this.clientsByConnection.delete(connection);
    this.emit(TcpServerState.DISCONNECTED, client.address, client);
    // tcpcom's server goes back to LISTENING when its one client leaves.
    if (this.options.oneClientAtATime && !this.terminated) this.emit(TcpServerState.LISTENING, String(this.boundPort));
  }

  private emit(state: TcpServerStateValue, msg: string, client?: TcpServerClient): void {
    try {
      this.onStateChanged(state, msg, client);
    } catch (err) {
      callbackFailed('TcpServer', state, err);
    }
  }
}
