/**
 * One client of a {@link MessageTcpServer}, on a FramedConnection (@picolink/net): its
 * messages, split by the delimiter with a bound; replies with backpressure (reading
 * pauses while the client does not read what it was sent) and an output bound; an
 * optional idle timeout. Whatever this client does,
 * only this connection is closed; so is an exception thrown by the message handler (the
 * close is reported with PL_ERR_INTERNAL), which never reaches the process.
 */
import type { Socket } from 'node:net';
import { ErrorCode, MessageFramer, PicolinkError } from '@picolink/protocol';
import type { FramedMessage } from '@picolink/protocol';
import { FramedConnection, peerOf } from '@picolink/net';
import { utf8, withDelimiter } from '../core/delimiter.js';
import type { Delimiter } from '../core/delimiter.js';

/** How a connection ended. */
export interface CloseInfo {
  /** Who ended it: the client, or this server (shutdown, a limit, a bad message). */
  by: 'peer' | 'server';
  /** Why, when it was not an orderly close: the code says which limit or failure. */
  error?: PicolinkError;
  /** Bytes of an unfinished message (no delimiter yet) dropped with the connection. */
  droppedBytes: number;
}

export interface ConnectionLimits {
  delimiter: Delimiter;
  maxMessageBytes: number;
  idleTimeoutMs: number;
  maxOutputBytes: number;
  closeGraceMs: number;
}

export interface ConnectionHandlers {
  onMessage(connection: MessageConnection, message: Uint8Array): void;
  onClose(connection: MessageConnection, info: CloseInfo): void;
}

export class MessageConnection {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** `address:port` of the client. */
  readonly peer: string;
  /** Messages received so far. */
  messagesIn = 0;
  /** Settles once the connection has closed and its close was reported. */
  readonly closed: Promise<void>;
  private markClosed!: () => void;
  private readonly framed: FramedConnection<FramedMessage>;
  private closing: CloseInfo | undefined;

  constructor(
    id: number,
    socket: Socket,
    private readonly limits: ConnectionLimits,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.id = id;
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    const { address, port, peer } = peerOf(socket);
    this.remoteAddress = address;
    this.remotePort = port;
    this.peer = peer;
    this.framed = new FramedConnection(
      socket,
      new MessageFramer({ delimiter: limits.delimiter, maxMessageBytes: limits.maxMessageBytes }),
      {
        onFrames: (frames) => this.onFrames(frames),
        onSilence: () => this.fail(new PicolinkError(ErrorCode.IDLE_TIMEOUT, `no message for ${limits.idleTimeoutMs} ms; silent clients are closed (idle timeout)`), false),
        onOverflow: () => {
          this.closing = {
            by: 'server',
            droppedBytes: 0,
            error: new PicolinkError(ErrorCode.SLOW_CONSUMER, `the client does not read its replies; more than ${limits.maxOutputBytes} bytes were waiting for it`),
          };
        },
        onEnd: () => (this.closing ??= { by: 'peer', droppedBytes: 0 }),
        onError: (err) => this.onError(err),
        onClose: (droppedBytes) => this.onClose(droppedBytes),
      },
      { maxOutputBytes: limits.maxOutputBytes, closeGraceMs: limits.closeGraceMs, silenceMs: limits.idleTimeoutMs },
    );
  }

  /** True until the connection starts closing. */
  get open(): boolean {
    return !this.framed.isClosed && this.closing === undefined;
  }

  /** Sends one message with the delimiter added. False when the connection is closing. */
  send(message: Uint8Array | string): boolean {
    return this.sendRaw(withDelimiter(typeof message === 'string' ? utf8(message) : message, this.limits.delimiter));
  }

  /** Sends bytes exactly as given. False when the connection is closing. */
  sendRaw(bytes: Uint8Array): boolean {
    if (!this.open) return false;
    return this.framed.write(bytes);
  }

  /**
   * Closes the connection from this side. With an error (a limit was hit) what was
   * already written is still delivered; `immediately` drops it.
   */
  close(error?: PicolinkError, immediately = false): void {
    if (!this.open) return;
    this.fail(error, immediately);
  }

  private fail(error: PicolinkError | undefined, immediately: boolean): void {
    this.closing = { by: 'server', droppedBytes: 0, ...(error ? { error } : {}) };
    if (immediately) this.framed.destroy();
    else this.framed.end();
  }

  private onFrames(frames: FramedMessage[]): void {
    for (const result of frames) {
      if (result.error) return this.fail(result.error, false);
      this.messagesIn += 1;
      try {
        this.handlers.onMessage(this, result.message);
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        return this.fail(new PicolinkError(ErrorCode.INTERNAL, `internal error while handling a message: ${detail.slice(0, 200)}; the connection was closed`, { cause: err }), false);
      }
      if (!this.open) return;
    }
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (this.closing) return;
    const reason = err.code === 'ECONNRESET' ? 'the client reset the connection' : `socket error: ${err.message}`;
    this.closing = { by: 'peer', droppedBytes: 0, error: new PicolinkError(ErrorCode.CONNECTION_CLOSED, reason, { cause: err }) };
  }

  private onClose(droppedBytes: number): void {
    const info = this.closing ?? { by: 'peer', droppedBytes: 0 };
    info.droppedBytes += droppedBytes;
    try {
      this.handlers.onClose(this, info);
    } catch {
      // A failing close handler has nothing left to close; the other connections go on.
    } finally {
      this.markClosed();
    }
  }
}
