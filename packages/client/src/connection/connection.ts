/**
 * One control connection to a device: frames in and out, responses matched to requests,
 * timeouts, heartbeat, pushed events and the device's own requests (docs/protocol.md).
 *
 * Request matching depends on the peer, which the handshake detects:
 * - `pipeline`: a picolink peer that announced "pipeline"; many requests in flight,
 *   matched by `id`.
 * - `serial`: a picolink peer without "pipeline"; one request at a time, with ids.
 * - `legacy`: a stock piconetcontrol server; one request at a time, no ids, matched in
 *   order, `time_sent` added as its own client does.
 * - `detect`: before the handshake answer; one request at a time, with ids.
 */
import type { Duplex } from 'node:stream';
import { FramedConnection, RequestTable } from '@picolink/net';
import type { TableRequest } from '@picolink/net';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, ErrorCode, isErrorCode, LineDecoder, messageKind, parseFrame, PicolinkError, toPicolinkError } from '@picolink/protocol';
import type { DecodedLine } from '@picolink/protocol';
import type { CallOptions } from '../types.js';
import { answerPeerRequest, preview } from './peer-frames.js';
import { LegacyStamps } from './legacy-stamps.js';

export type MatchingMode = 'detect' | 'pipeline' | 'serial' | 'legacy';

export interface ConnectionOptions {
  /** Time allowed for each response after its request is sent, in ms. Default 5000. */
  timeoutMs?: number;
  /** Send a `ping` when nothing was received for this long, in ms; 0 disables. Default 15000. */
  heartbeatMs?: number;
  /** Largest frame accepted from the device, and sent to a picolink device, in bytes. Default 65536. */
  maxFrameBytes?: number;
  /** How the device is named in messages, e.g. "10.0.0.5:12345". Default "the device". */
  peerName?: string;
}

export interface ConnectionHandlers {
  /** A pushed event (any frame with an `event` field), including `closing`. */
  onEvent(frame: Record<string, unknown>): void;
  /** A problem not tied to one request, e.g. an unreadable frame from the device. */
  onError(err: PicolinkError): void;
  /** The socket has closed; `reason` is null after {@link Connection.close}. */
  onClose(reason: PicolinkError | null): void;
}

/** How long close() waits for the device to finish the TCP close before destroying the socket. */
const CLOSE_GRACE_MS = 1000;

export class Connection {
  readonly timeoutMs: number;
  readonly maxFrameBytes: number;
  readonly peerName: string;
  private mode: MatchingMode = 'detect';
  private readonly pending: RequestTable;
  private readonly stamps = new LegacyStamps();
  private readonly framed: FramedConnection<DecodedLine>;
  private readonly heartbeatMs: number;
  private shutDown = false;
  private reason: PicolinkError | null = null;
  private closingEvent: PicolinkError | undefined;
  private socketError: Error | undefined;
  private readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    socket: Duplex,
    private readonly handlers: ConnectionHandlers,
    options: ConnectionOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.peerName = options.peerName ?? 'the device';
    this.heartbeatMs = options.heartbeatMs ?? 15000;
    this.pending = new RequestTable({
      transmit: (request) => this.transmit(request),
      timeoutError: (request) => this.timeoutError(request),
      pipelined: false,
    });
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.framed = new FramedConnection(
      socket,
      new LineDecoder({ maxFrameBytes: this.maxFrameBytes }),
      {
        onFrames: (lines) => this.linesOnReceive(lines),
        onHandlerError: (err) => this.handlerOnError(err),
        onSilence: () => this.heartbeatOnQuiet(),
        onError: (err) => void (this.socketError ??= err),
        onClose: () => this.socketOnClose(),
      },
      { silenceMs: this.heartbeatMs, closeGraceMs: CLOSE_GRACE_MS, maxOutputBytes: Infinity, backpressure: false },
    );
  }

  /** How responses are matched to requests; set from the handshake's answer. */
  get matching(): MatchingMode {
    return this.mode;
  }

  set matching(mode: MatchingMode) {
    this.mode = mode;
    this.pending.setPipelined(mode === 'pipeline');
  }

  /** True once the connection is closing or closed: requests are refused. */
  get isClosed(): boolean {
    return this.shutDown;
  }

  /**
   * Sends a request and resolves with the device's response, error responses included.
   * Rejects with `PL_ERR_TIMEOUT`, `PL_ERR_CONNECTION_CLOSED`, or `PL_ERR_FRAME_TOO_LARGE`
   * for a request larger than a picolink device accepts. The `id` (or, for legacy peers,
   * `time_sent`) is set by the connection.
   */
  request(fields: Record<string, unknown>, options: CallOptions = {}): Promise<Record<string, unknown>> {
    if (this.shutDown) {
      return Promise.reject(new PicolinkError(ErrorCode.CONNECTION_CLOSED, `the connection to ${this.peerName} is closed; connect again`));
    }
    return this.pending.add(fields, options.timeoutMs ?? this.timeoutMs);
  }

  /** Ends the connection: pending requests are rejected, timers cleared; resolves once the socket has closed. */
  close(): Promise<void> {
    this.shutdown(null);
    return this.closed;
  }

  private transmit(request: TableRequest): void {
    let frame: Record<string, unknown>;
    if (this.mode === 'legacy') {
      frame = { ...request.fields };
      delete frame.id;
      frame.time_sent = this.stamps.stamp(request);
    } else {
      // `id` first, as in {"id":1,"action":"get_version"}; the caller's own id is replaced.
      frame = { id: request.seq, ...request.fields };
      frame.id = request.seq;
    }
    const text = encodeFrame(frame);
    const bytes = Buffer.byteLength(text) - 1;
    // A piconetcontrol server reads requests of any length; a picolink device would drop the connection.
    if (this.mode !== 'legacy' && bytes > this.maxFrameBytes) {
      throw new PicolinkError(
        ErrorCode.FRAME_TOO_LARGE,
        `the "${String(request.fields.action)}" request is ${bytes} bytes, more than the ${this.maxFrameBytes}-byte frame limit; send less at once (for update: compress, or fewer files per request)`,
      );
    }
    this.framed.write(text);
  }

  /**
   * A failure while handling what the device sent (including in an event handler called
   * from here) ends this connection, not the process: it is reported once, and pending
   * requests are rejected with it as the cause.
   */
  private handlerOnError(err: unknown): void {
    const detail = err instanceof Error ? err.message : String(err);
    const reason = new PicolinkError(ErrorCode.INTERNAL, `internal error while handling a frame from ${this.peerName}: ${detail.slice(0, 200)}; the connection was closed`, { cause: err });
    this.shutdown(reason);
    try {
      this.handlers.onError(reason);
    } catch {
      // The error handler itself failed; the connection is already closed.
    }
  }

  private linesOnReceive(lines: DecodedLine[]): void {
    for (const item of lines) {
      if (this.shutDown) return;
      if (item.error) {
        this.frameOnError(item.error);
        continue;
      }
      let frame: Record<string, unknown>;
      try {
        frame = parseFrame(item.line);
      } catch (err) {
        this.frameOnError(toPicolinkError(err));
        continue;
      }
      this.dispatch(frame);
    }
  }

  private dispatch(frame: Record<string, unknown>): void {
    // A piconetcontrol server only ever answers, and its answers carry no `ok`.
    if (this.mode === 'legacy') return this.matchInOrder(frame);
    switch (messageKind(frame)) {
      case 'response':
        return this.matchById(frame);
      case 'event':
        return this.eventOnReceive(frame);
      case 'request':
        if (this.mode === 'detect' && frame.action === 'get_version' && frame.ok === undefined) return this.matchInOrder(frame);
        return void this.framed.write(encodeFrame(answerPeerRequest(frame)));
      default:
        this.handlers.onError(
          new PicolinkError(ErrorCode.BAD_RESPONSE, `${this.peerName} sent a frame that is neither a response, an event nor a request: ${preview(frame)}`),
        );
    }
  }

  private matchById(frame: Record<string, unknown>): void {
    const id = frame.id;
    const request = typeof id === 'number' ? this.pending.inFlight(id) : undefined;
    if (request) return this.pending.settle(request, frame);
    // An answer to a request that already timed out arrives late; it has nobody to go to.
    if (typeof id === 'number' && this.pending.wasIssued(id)) return;
    this.handlers.onError(new PicolinkError(ErrorCode.BAD_RESPONSE, `${this.peerName} answered a request that was never sent: ${preview(frame)}`));
  }

  private matchInOrder(frame: Record<string, unknown>): void {
    if (typeof frame.time_sent === 'number' && this.stamps.isLateAnswer(frame.time_sent)) return;
    const request = this.pending.oldestInFlight();
    if (request) return this.pending.settle(request, frame);
    this.handlers.onError(new PicolinkError(ErrorCode.BAD_RESPONSE, `${this.peerName} sent a frame when no request was waiting: ${preview(frame)}`));
  }

  private eventOnReceive(frame: Record<string, unknown>): void {
    if (frame.event === 'closing') {
      const code = isErrorCode(frame.code) ? frame.code : ErrorCode.CONNECTION_CLOSED;
      const why = typeof frame.error === 'string' ? frame.error : 'no reason given';
      this.closingEvent = new PicolinkError(code, `${this.peerName} closed the connection: ${why} (${code})`);
    }
    this.handlers.onEvent(frame);
  }

  private frameOnError(err: PicolinkError): void {
    if (err.code === ErrorCode.FRAME_TOO_LARGE) {
      // The frame's content is lost, so whichever request it answered can never complete.
      const reason = new PicolinkError(
        ErrorCode.FRAME_TOO_LARGE,
        `${this.peerName} sent a frame larger than ${this.maxFrameBytes} bytes, so the connection was closed; raise maxFrameBytes if the device really sends frames this large`,
      );
      this.handlers.onError(reason);
      return this.shutdown(reason);
    }
    const unreadable = new PicolinkError(err.code, `${this.peerName} sent a frame that cannot be read: ${err.message}`);
    const head = this.mode === 'legacy' ? this.pending.oldestInFlight() : undefined;
    // Without ids, an unreadable frame from a legacy peer can only be the answer being waited for.
    if (head) {
      this.stamps.noteFailed(head);
      return void this.pending.fail(head, new PicolinkError(ErrorCode.BAD_RESPONSE, unreadable.message, { cause: unreadable }));
    }
    this.handlers.onError(unreadable);
  }

  /** The error of a request that timed out; its answer, if it comes, is late. */
  private timeoutError(request: TableRequest): PicolinkError {
    this.stamps.noteFailed(request);
    return new PicolinkError(
      ErrorCode.TIMEOUT,
      `no answer from ${this.peerName} to "${String(request.fields.action)}" within ${request.timeoutMs} ms; the device may be busy or unreachable`,
    );
  }

  private heartbeatOnQuiet(): void {
    this.request({ action: 'ping' }).then(
      () => this.framed.setSilence(this.heartbeatMs),
      (err: unknown) => {
        if (!(err instanceof PicolinkError) || err.code !== ErrorCode.TIMEOUT) return;
        this.shutdown(
          new PicolinkError(
            ErrorCode.CONNECTION_CLOSED,
            `${this.peerName} did not answer a heartbeat ping within ${this.timeoutMs} ms, so the connection was closed; the device or the network is gone`,
          ),
        );
      },
    );
  }

  private socketOnClose(): void {
    if (!this.shutDown) {
      const reason =
        this.closingEvent ??
        new PicolinkError(
          ErrorCode.CONNECTION_CLOSED,
          this.socketError ? `the connection to ${this.peerName} failed: ${this.socketError.message}` : `${this.peerName} closed the connection`,
          { cause: this.socketError },
        );
      this.shutdown(reason);
    }
    this.handlers.onClose(this.reason);
    this.resolveClosed();
  }

  /** Stops everything once; `reason` null means the user closed the connection. */
  private shutdown(reason: PicolinkError | null): void {
    if (this.shutDown) return;
    this.shutDown = true;
    this.reason = reason;
    this.framed.setSilence(0);
    this.pending.rejectAll(({ fields }) => {
      const action = String(fields.action);
      return reason === null
        ? new PicolinkError(ErrorCode.CONNECTION_CLOSED, `the connection to ${this.peerName} was closed before "${action}" was answered`)
        : new PicolinkError(ErrorCode.CONNECTION_CLOSED, `"${action}" was not answered: ${reason.message}`, { cause: reason });
    });
    if (this.framed.isClosed) return;
    // A device that never finishes the close must not keep close() waiting: end() destroys after the grace time.
    if (reason !== null) this.framed.destroy();
    else this.framed.end();
  }
}
