/**
 * `TcpClient`: the tcpcom library's event-driven client. `connect()` reports CONNECTING,
 * then CONNECTED, CONNECTION_FAILED or SERVER_OCCUPIED; messages arrive as MESSAGE; the
 * end of the connection as DISCONNECTED.
 *
 * A tcpcom server that already serves a client accepts a second one and closes it at
 * once. So, as tcpcom does, the client waits `occupiedCheckMs` after connecting: a close
 * in that time is SERVER_OCCUPIED, anything received ends the wait early.
 */
import type { Socket } from 'node:net';
import { ErrorCode, MessageFramer, PicolinkError } from '@picolink/protocol';
import type { FramedMessage } from '@picolink/protocol';
import { utf8, withDelimiter } from '../core/delimiter.js';
import type { Delimiter } from '../core/delimiter.js';
import { connect, FramedConnection, hostPort } from '@picolink/net';
import { TcpClientState } from './states.js';
import type { TcpClientStateValue } from './states.js';
import { callbackFailed, MessageText } from './text-decoding.js';

export interface TcpClientOptions {
  /** How messages end on the wire: `nul` (tcpcom), `lf`, or `none` (each read is a message). Default `nul`. */
  delimiter?: Delimiter;
  /** Give up connecting after this long, in ms. Default 5000. */
  connectTimeoutMs?: number;
  /** After connecting, how long a close by the server means SERVER_OCCUPIED, in ms (0: no check). Default 1000. */
  occupiedCheckMs?: number;
  /** Disconnect when nothing was received for this long, in ms. Default 0 (never). */
  idleTimeoutMs?: number;
  /** Longest message waiting for its delimiter, in bytes; a longer one disconnects. Default 65536. */
  maxMessageBytes?: number;
}

/** `error` explains CONNECTION_FAILED, and a DISCONNECTED that was not an orderly close. */
export type TcpClientStateListener = (state: TcpClientStateValue, msg: string, error?: PicolinkError) => void;

type Phase = 'idle' | 'connecting' | 'checking' | 'connected' | 'closing';

export class TcpClient {
  /** `host:port` of the server. */
  readonly target: string;
  private readonly delimiter: Delimiter;
  private framed: FramedConnection<FramedMessage> | undefined;
  private phase: Phase = 'idle';
  private attempt: Promise<boolean> | undefined;
  private closeError: PicolinkError | undefined;
  private waiters: Array<(message: string | undefined) => void> = [];
  private cancelConnect: (() => void) | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly onStateChanged: TcpClientStateListener,
    private readonly options: TcpClientOptions = {},
  ) {
    this.target = hostPort(host, port);
    this.delimiter = options.delimiter ?? 'nul';
  }

  isConnected(): boolean {
    return this.phase === 'connected';
  }

  isConnecting(): boolean {
    return this.phase === 'connecting' || this.phase === 'checking';
  }

  /** Connects; resolves true once CONNECTED, false after CONNECTION_FAILED or SERVER_OCCUPIED. */
  connect(): Promise<boolean> {
    if (this.phase === 'connected') return Promise.resolve(true);
    if (this.attempt && this.isConnecting()) return this.attempt;
    this.attempt = this.open();
    return this.attempt;
  }

  /** Sends one message (the delimiter is added). False when not connected. */
  sendMessage(message: string): boolean {
    if (this.phase !== 'connected' || !this.framed) return false;
    return this.framed.write(withDelimiter(utf8(message), this.delimiter));
  }

  /**
   * Sends a message and resolves with the next message received, or undefined if none
   * came within `timeoutMs` (tcpcom's `sendMessage(msg, responseTime)`).
   */
  sendAndWait(message: string, timeoutMs: number): Promise<string | undefined> {
    return new Promise((resolve) => {
      if (!this.sendMessage(message)) return resolve(undefined);
      const waiter = (reply: string | undefined): void => {
        clearTimeout(timer);
        resolve(reply);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Closes the connection (what was sent is still delivered); DISCONNECTED follows. */
  disconnect(): void {
    if (this.phase === 'connecting') return this.cancelConnect?.();
    if (!this.framed || this.phase === 'idle' || this.phase === 'closing') return;
    this.phase = 'closing';
    // After disconnect() the program has said it is done: nothing more is delivered.
    this.framed.end();
  }

  private async open(): Promise<boolean> {
    this.phase = 'connecting';
    this.closeError = undefined;
    this.emit(TcpClientState.CONNECTING, this.target);
    const cancel = new AbortController();
    this.cancelConnect = () => cancel.abort();
    let socket: Socket;
    try {
      socket = await connect({ host: this.host, port: this.port, timeoutMs: this.options.connectTimeoutMs ?? 5000, signal: cancel.signal });
    } catch (err) {
      const error = cancel.signal.aborted ? new PicolinkError(ErrorCode.CONNECTION_CLOSED, `disconnect() was called while connecting to ${this.target}`) : (err as PicolinkError);
      this.phase = 'idle';
      this.emit(TcpClientState.CONNECTION_FAILED, this.target, error);
      return false;
    } finally {
      this.cancelConnect = undefined;
    }
    return new Promise((resolve) => this.attach(socket, resolve));
  }

  /** Wires a connected socket; settles the connect() promise after the occupied check. */
  private attach(socket: Socket, settle: (connected: boolean) => void): void {
    const text = new MessageText(this.delimiter);
    const idleMs = this.options.idleTimeoutMs ?? 0;
    const checkMs = this.options.occupiedCheckMs ?? 1000;
    let checkTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const settleOnce = (isConnected: boolean): void => {
      if (settled) return;
      settled = true;
      settle(isConnected);
    };
    const connected = (): void => {
      clearTimeout(checkTimer);
      if (this.phase !== 'checking') return;
      this.phase = 'connected';
      this.emit(TcpClientState.CONNECTED, this.target);
      settleOnce(true);
    };
    const closeWith = (error: PicolinkError): void => {
      this.closeError ??= error;
      framed.destroy();
    };
    const messagesOnReceive = (frames: FramedMessage[]): void => {
      if (this.phase === 'checking') connected();
      for (const result of frames) {
        if (result.error) return closeWith(result.error);
        const message = text.decode(result.message);
        const waiters = this.waiters;
        this.waiters = [];
        for (const waiter of waiters) waiter(message);
        this.emit(TcpClientState.MESSAGE, message);
        if (framed.isClosed || this.phase === 'closing') return;
      }
    };
    const socketOnError = (err: NodeJS.ErrnoException): void => {
      this.closeError ??= new PicolinkError(
        ErrorCode.CONNECTION_CLOSED,
        err.code === 'ECONNRESET' ? `${this.target} reset the connection` : `connection to ${this.target} failed: ${err.message}`,
        { cause: err },
      );
    };
    const socketOnClose = (): void => {
      clearTimeout(checkTimer);
      const wasChecking = this.phase === 'checking';
      this.phase = 'idle';
      this.framed = undefined;
      const waiters = this.waiters;
      this.waiters = [];
      for (const waiter of waiters) waiter(undefined);
      if (wasChecking) this.emit(TcpClientState.SERVER_OCCUPIED, this.target);
      else this.emit(TcpClientState.DISCONNECTED, '', this.closeError);
      settleOnce(false);
    };

    const maxMessageBytes = this.options.maxMessageBytes;
    const framed = new FramedConnection(
      socket,
      new MessageFramer({ delimiter: this.delimiter, ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}) }),
      {
        onFrames: messagesOnReceive,
        onSilence: () => closeWith(new PicolinkError(ErrorCode.IDLE_TIMEOUT, `nothing received for ${idleMs} ms (idle timeout)`)),
        onError: socketOnError,
        onClose: socketOnClose,
      },
      { silenceMs: idleMs, closeGraceMs: 1000, maxOutputBytes: Infinity, backpressure: false },
    );
    this.framed = framed;
    this.phase = 'checking';
    if (checkMs > 0) checkTimer = setTimeout(connected, checkMs);
    else connected();
  }

  private emit(state: TcpClientStateValue, msg: string, error?: PicolinkError): void {
    try {
      this.onStateChanged(state, msg, error);
    } catch (err) {
      callbackFailed('TcpClient', state, err);
    }
  }
}
