/**
 * One stream connection cut into frames, with the socket behaviour every picolink peer
 * needs, written once:
 * - received bytes go through a bounded framer (a LineDecoder or a MessageFramer from
 *   @picolink/protocol); what one chunk completes is handed over together;
 * - replies produced while handling a chunk are queued and leave in one write (`queue`
 *   then `flush`);
 * - backpressure: reading pauses while the peer does not take what it was sent, or while
 *   the owner says it is busy; a peer whose unsent output passes `maxOutputBytes` is
 *   dropped;
 * - an optional silence timer (hello, idle or heartbeat timeouts) that costs no timer
 *   churn on a busy connection (it is refreshed, not re-created);
 * - a graceful close: end our side, keep reading so the peer's FIN is seen, and destroy
 *   the socket if the peer has not closed within the grace time.
 * What the frames mean (requests, responses, plain-text messages) is the owner's business.
 */
import type { Duplex } from 'node:stream';

/** What {@link FramedConnection} needs from a framer: @picolink/protocol's LineDecoder and MessageFramer fit. */
export interface StreamFramer<T> {
  push(chunk: Uint8Array): T[];
  /** Drops an unfinished frame; returns its size in bytes. */
  reset(): number;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
export const DEFAULT_CLOSE_GRACE_MS = 2_000;

export interface FramedConnectionOptions {
  /** Drop the connection when more than this many bytes of output are unsent. Default 1048576 (1 MiB). */
  maxOutputBytes?: number;
  /** After this side ends the connection, how long the peer has to close its side before the socket is destroyed, in ms. Default 2000. */
  closeGraceMs?: number;
  /** Call `onSilence` when nothing was received for this long, in ms; 0 never. Default 0. */
  silenceMs?: number;
  /** What ends a silence: any bytes, or only a complete frame. Default `bytes`. */
  silenceEndsOn?: 'bytes' | 'frames';
  /**
   * Pause reading while the peer does not take what it was sent. Default true; a client
   * whose requests wait in its own buffer still reads the answers that free them.
   */
  backpressure?: boolean;
}

export interface FramedConnectionHandlers<T> {
  /** What one received chunk completed, in order; never empty. A throw goes to `onHandlerError`. */
  onFrames(frames: T[]): void;
  /** `onFrames` threw. Default: the socket is destroyed. */
  onHandlerError?(err: unknown): void;
  /** Nothing was received for the silence time; the timer does not re-arm by itself. */
  onSilence?(): void;
  /** The peer does not read: `unsentBytes` are waiting. The socket is destroyed right after. */
  onOverflow?(unsentBytes: number): void;
  /** The peer ended its side (it will send nothing more). */
  onEnd?(): void;
  /** A socket error; `onClose` follows. */
  onError?(err: NodeJS.ErrnoException): void;
  /** The socket has closed; `droppedBytes` of an unfinished frame were dropped with it. */
  onClose(droppedBytes: number): void;
}

export class FramedConnection<T> {
  private readonly maxOutputBytes: number;
  private readonly closeGraceMs: number;
  private readonly silenceOnFrames: boolean;
  private readonly backpressure: boolean;
  private queued: Array<string | Uint8Array> = [];
  private reading = true;
  private paused = false;
  private busy = false;
  private silenceMs: number;
  private silenceTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private droppedBytes = 0;
  private closedFlag = false;

  constructor(
    readonly socket: Duplex,
    private readonly framer: StreamFramer<T>,
    private readonly handlers: FramedConnectionHandlers<T>,
    options: FramedConnectionOptions = {},
  ) {
    this.maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.closeGraceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
    this.silenceOnFrames = options.silenceEndsOn === 'frames';
    this.backpressure = options.backpressure ?? true;
    this.silenceMs = options.silenceMs ?? 0;
    socket.on('data', this.socketOnData);
    socket.on('drain', this.socketOnDrain);
    socket.on('end', this.socketOnEnd);
    socket.on('error', this.socketOnError);
    socket.on('close', this.socketOnClose);
    this.setSilence(this.silenceMs);
    if (socket.destroyed) queueMicrotask(this.socketOnClose);
  }

  /** False once the socket has closed. */
  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** True while bytes can still be written (not ended, not destroyed). */
  get writable(): boolean {
    return !this.socket.destroyed && !this.socket.writableEnded;
  }

  /** Adds data to the next {@link flush}. */
  queue(data: string | Uint8Array): void {
    this.queued.push(data);
  }

  /** Writes everything queued, in one write. */
  flush(): void {
    if (this.queued.length === 0) return;
    const queued = this.queued;
    this.queued = [];
    if (queued.length === 1) return void this.write(queued[0] as string | Uint8Array);
    this.write(queued.every((part) => typeof part === 'string') ? queued.join('') : Buffer.concat(queued.map(toBytes)));
  }

  /**
   * Writes at once (nothing is being batched). False when the connection can no longer
   * write, or the peer was just dropped for not reading.
   */
  write(data: string | Uint8Array): boolean {
    const socket = this.socket;
    if (!this.writable) return false;
    socket.write(data);
    if (socket.writableLength > this.maxOutputBytes) {
      this.handlers.onOverflow?.(socket.writableLength);
      socket.destroy();
      return false;
    }
    this.updateFlow();
    return true;
  }

  /** While the owner is busy (asleep, writing files, over a rate), reading pauses so input stays bounded. */
  setBusy(busy: boolean): void {
    this.busy = busy;
    this.updateFlow();
  }

  /** (Re)starts the silence timer with `ms`; 0 stops it. */
  setSilence(ms: number): void {
    this.silenceMs = ms;
    clearTimeout(this.silenceTimer);
    if (ms <= 0 || this.closedFlag) return void (this.silenceTimer = undefined);
    // The socket keeps the process alive while the connection is open; this timer must not.
    this.silenceTimer = setTimeout(this.onSilence, ms);
    this.silenceTimer.unref();
  }

  /** Counts the silence from now. */
  heard(): void {
    this.silenceTimer?.refresh();
  }

  /**
   * Ends the connection from this side: what was written is still delivered, no more
   * frames are handed over, reading goes on so the peer's FIN is seen, and the socket is
   * destroyed if the peer has not closed within the grace time.
   */
  end(): void {
    this.stopFrames();
    if (this.socket.destroyed || this.graceTimer !== undefined) return;
    if (!this.socket.writableEnded) this.socket.end();
    this.graceTimer = setTimeout(() => this.socket.destroy(), this.closeGraceMs);
    this.graceTimer.unref();
  }

  /**
   * Stops handing over frames and holds the socket, unread and unanswered, for `ms`
   * before destroying it (a peer that re-opens whatever closes finds nothing to re-open).
   */
  holdThenDestroy(ms: number): void {
    this.stopFrames();
    this.queued = [];
    this.setSilence(0);
    clearTimeout(this.graceTimer);
    this.graceTimer = setTimeout(() => this.socket.destroy(), ms);
    this.graceTimer.unref();
  }

  /** Destroys the socket at once. */
  destroy(): void {
    this.socket.destroy();
  }

  private stopFrames(): void {
    if (!this.reading) return;
    this.reading = false;
    this.droppedBytes += this.framer.reset();
    this.queued = [];
    this.busy = false;
    this.setSilence(0);
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private readonly socketOnData = (chunk: Buffer): void => {
    if (!this.reading) return;
    if (!this.silenceOnFrames) this.heard();
    const frames = this.framer.push(chunk);
    if (frames.length === 0) return;
    if (this.silenceOnFrames) this.heard();
    try {
      this.handlers.onFrames(frames);
    } catch (err) {
      if (this.handlers.onHandlerError) this.handlers.onHandlerError(err);
      else this.socket.destroy();
    }
  };

  private readonly onSilence = (): void => {
    this.silenceTimer = undefined;
    if (this.reading && !this.closedFlag) this.handlers.onSilence?.();
  };

  private readonly socketOnDrain = (): void => {
    this.updateFlow();
  };

  private readonly socketOnEnd = (): void => {
    this.handlers.onEnd?.();
  };

  private readonly socketOnError = (err: NodeJS.ErrnoException): void => {
    this.handlers.onError?.(err);
  };

  private readonly socketOnClose = (): void => {
    if (this.closedFlag) return;
    this.closedFlag = true;
    clearTimeout(this.silenceTimer);
    clearTimeout(this.graceTimer);
    this.queued = [];
    this.reading = false;
    this.droppedBytes += this.framer.reset();
    this.handlers.onClose(this.droppedBytes);
  };

  private updateFlow(): void {
    if (!this.writable || !this.reading) return;
    const hold = this.busy || (this.backpressure && this.socket.writableNeedDrain);
    if (hold && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!hold && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }
}

function toBytes(part: string | Uint8Array): Uint8Array {
  return typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
}
