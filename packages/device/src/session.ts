/**
 * One connection to the device (docs/protocol.md#connections), on a FramedConnection
 * (@picolink/net). Bytes become lines (LineDecoder), lines become frames, requests are
 * validated and handled strictly in order, and every response produced for one received
 * chunk goes out in one write.
 *
 * Bounds, so one peer can never hurt another: a frame larger than the limit or not
 * UTF-8 ends the connection after an error response; reading pauses while the peer is
 * not reading its responses (backpressure); a peer whose unread output passes
 * `maxOutputBytes` is dropped; a silent peer is closed after the hello or idle timeout.
 * An exception escaping the handling of one frame (a bug, or a result that cannot be
 * written as JSON) ends this connection with a `closing` event coded PL_ERR_INTERNAL and
 * one rate-limited log line; it never reaches the process.
 *
 * The device may also ask the peer something (docs/protocol.md#messages): `request()`
 * sends a request with an id of the device's own ("d1", "d2", ...) and resolves with the
 * matching response; with `heartbeatMs` the session pings a quiet peer. A dial-home link
 * (dial-home.ts) uses both: its hello is such a request, and so are its heartbeats.
 */
import type { Socket } from 'node:net';
import { DEFAULT_CLOSE_GRACE_MS, DEFAULT_MAX_OUTPUT_BYTES, FramedConnection, peerOf, RateLimitedLog, RequestTable, silentLog } from '@picolink/net';
import {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  ErrorCode,
  errorResponse,
  LineDecoder,
  messageKind,
  parseFrame,
  PicolinkError,
  encodeSuccessResponse,
  toPicolinkError,
} from '@picolink/protocol';
import type { DecodedLine, ErrorCodeValue, PinChangeEvent } from '@picolink/protocol';
import { runAction, validateDeviceRequest } from './actions/index.js';
import type { ActionContext, ConnectionContext, DeviceRequest } from './actions/index.js';
import type { DeviceRuntime, RuntimeConnection } from './runtime.js';
import { ControllerWatchdog, DEFAULT_CONTROLLER_TIMEOUT_MS } from './controller-watchdog.js';

export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_HELLO_TIMEOUT_MS = 10_000;

export interface SessionOptions {
  /** Largest frame accepted, in bytes, newline excluded. Default 65536. */
  maxFrameBytes?: number;
  /** Close a connection that has sent no frame for this long, in ms; 0 never. Default 60000. */
  idleTimeoutMs?: number;
  /** Close a connection whose first frame has not arrived this long after connecting, in ms; 0 never. Default 10000. */
  helloTimeoutMs?: number;
  /** Drop a connection whose unsent responses exceed this many bytes. Default 1048576 (1 MiB). */
  maxOutputBytes?: number;
  /** After the device ends a connection, how long the peer has to close its side before the socket is destroyed, in ms. Default 2000. */
  closeGraceMs?: number;
  /**
   * A peer that controls an output with a safe value and sends nothing for this long is
   * taken as gone: the safe values apply at once, then the connection closes; it is pinged
   * at half this time if it speaks picolink (controller-watchdog.ts), in ms; 0 never.
   * Default 8000.
   */
  controllerTimeoutMs?: number;
  /** Send a `ping` to the peer when nothing was received for this long, in ms; 0 never. Default 0. */
  heartbeatMs?: number;
  /** What the peer is called in log lines. Default "client" ("hub" for a dial-home link). */
  peerLabel?: string;
  /** Log for connects, disconnects and errors. Default: none. */
  log?: RateLimitedLog;
}

interface QueuedFrame {
  decoded: DecodedLine;
  /** Arrival time, ns since the Unix epoch (the response's time_received). */
  receivedNs: number;
}

type SessionState = 'open' | 'closing' | 'closed';

export class DeviceSession implements RuntimeConnection, ConnectionContext {
  readonly id: number;
  readonly secure: boolean;
  /** "address:port" of the peer. */
  readonly remote: string;
  /** Resolves when the socket has closed and the device has let go of the connection. */
  readonly closed: Promise<void>;
  private state: SessionState = 'open';
  private readonly queue: QueuedFrame[] = [];
  private readonly framed: FramedConnection<DecodedLine>;
  /** Events raised while a request is being handled; they follow its response. */
  private deferred: string[] | undefined;
  private pumping = false;
  private greeted = false;
  /** Set by the first valid request (or answer to the device's own request); until then the server may evict this connection when it is full. */
  private served = false;
  private peerEnded = false;
  /** Evicted: held without a slot until its hello timeout ends. */
  private evicted = false;
  /** performance.now() at connect. */
  private readonly connectedAt: number;
  private endAfterFlush = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatMs: number;
  private idleTimeoutMs: number;
  /** The device's own requests to its peer, with ids "d1", "d2", ... */
  private readonly ownRequests: RequestTable;
  private readonly peerLabel: string;
  private readonly helloTimeoutMs: number;
  private readonly closeGraceMs: number;
  private readonly log: RateLimitedLog;
  private readonly context: ActionContext;
  private readonly watchdog: ControllerWatchdog;
  private resolveClosed: () => void = () => {};

  constructor(
    private readonly socket: Socket,
    private readonly runtime: DeviceRuntime,
    options: SessionOptions = {},
  ) {
    this.id = runtime.nextConnectionId();
    this.connectedAt = performance.now();
    this.secure = 'encrypted' in socket && socket.encrypted === true;
    this.remote = peerOf(socket).peer;
    this.ownRequests = new RequestTable({
      transmit: (request) => this.sendOwn(request.seq, request.fields),
      timeoutError: (request) =>
        new PicolinkError(ErrorCode.TIMEOUT, `${this.remote} did not answer "${String(request.fields.action)}" within ${request.timeoutMs} ms`),
    });
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.heartbeatMs = options.heartbeatMs ?? 0;
    this.peerLabel = options.peerLabel ?? 'client';
    this.helloTimeoutMs = options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS;
    this.closeGraceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
    this.log = options.log ?? new RateLimitedLog(silentLog);
    this.context = { runtime, connection: this };
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.setNoDelay(true);
    this.framed = new FramedConnection(
      socket,
      new LineDecoder({ maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES }),
      {
        onFrames: this.linesOnReceive,
        onHandlerError: this.onInternalError,
        onSilence: this.onSilence,
        onOverflow: (unsent) =>
          this.log.limited(
            'slow-consumer',
            `${this.peerLabel} ${this.remote} (#${this.id}): ${ErrorCode.SLOW_CONSUMER}: ${unsent} bytes of responses unread; dropping the connection`,
          ),
        onEnd: this.socketOnEnd,
        onError: this.socketOnError,
        onClose: this.socketOnClose,
      },
      {
        maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
        closeGraceMs: this.closeGraceMs,
        silenceMs: this.helloTimeoutMs,
        silenceEndsOn: 'frames',
      },
    );
    runtime.attach(this);
    this.watchdog = new ControllerWatchdog(options.controllerTimeoutMs ?? DEFAULT_CONTROLLER_TIMEOUT_MS, {
      ownsFailsafeOutputs: () => runtime.pins.ownsFailsafeOutputs(this.id),
      ping: (timeoutMs) => void this.request({ action: 'ping' }, timeoutMs).catch(() => {}),
      gone: this.controllerGone,
      sleepGate: () => runtime.sleepGate(),
    });
    this.armHeartbeat();
    this.log.limited('connect', `${this.peerLabel} ${this.remote} connected (#${this.id}${this.secure ? ', TLS' : ''})`);
  }

  /** Pushes an event from a watch to this connection. */
  deliverPinChange(event: PinChangeEvent): void {
    this.emitEvent(encodeFrame(event));
  }

  /** Ends the connection from the device side, with a `closing` event saying why. */
  closeByDevice(code: ErrorCodeValue, message: string): void {
    if (this.state !== 'open') return;
    this.framed.queue(encodeFrame({ event: 'closing', code, error: message }));
    this.framed.flush();
    this.beginClose();
  }

  /** Destroys the socket at once. */
  destroy(): void {
    this.framed.destroy();
  }

  /**
   * True until the peer has sent a valid request (or a valid answer to one of the
   * device's): a connection that only holds a slot, which the server evicts first when
   * it is full (docs/protocol.md#connections).
   */
  get evictable(): boolean {
    return !this.served && this.state === 'open';
  }

  /**
   * Takes the slot of a connection that has sent no valid request, for a new one: the
   * peer gets a `closing` event coded PL_ERR_TOO_MANY_CLIENTS and is served no more, and
   * the slot is free at once. The socket itself is held, unread, until the hello timeout
   * counted from its connect (or until the peer closes it, or {@link destroy}): a peer
   * that re-opens whatever closes finds nothing to re-open, so squatting costs it one
   * socket per connection instead of turning into a flood of connects.
   */
  evict(message: string): void {
    if (this.state !== 'open') return;
    this.framed.queue(encodeFrame({ event: 'closing', code: ErrorCode.TOO_MANY_CLIENTS, error: message }));
    this.framed.flush();
    this.state = 'closing';
    this.evicted = true;
    clearTimeout(this.heartbeatTimer);
    this.queue.length = 0;
    this.runtime.detach(this);
    const heldMs = this.helloTimeoutMs > 0 ? Math.max(0, this.helloTimeoutMs - (performance.now() - this.connectedAt)) : this.closeGraceMs;
    this.framed.holdThenDestroy(heldMs);
  }

  /**
   * Sends a request to the peer (its `id` is set here) and resolves with the peer's
   * response, error responses included. Rejects with PL_ERR_TIMEOUT after `timeoutMs`,
   * or PL_ERR_CONNECTION_CLOSED when the connection ends first.
   */
  request(fields: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    if (this.state !== 'open') {
      return Promise.reject(new PicolinkError(ErrorCode.CONNECTION_CLOSED, `the connection to ${this.remote} is closed`));
    }
    return this.ownRequests.add(fields, timeoutMs);
  }

  /**
   * Changes the heartbeat: ping after `heartbeatMs` of silence, close after
   * `idleTimeoutMs` of it (a dial-home link takes both from the hub's welcome).
   */
  setHeartbeat(heartbeatMs: number, idleTimeoutMs: number): void {
    this.heartbeatMs = heartbeatMs;
    this.idleTimeoutMs = idleTimeoutMs;
    if (this.greeted) this.restartSilenceTimer(idleTimeoutMs);
    clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.armHeartbeat();
  }

  private readonly linesOnReceive = (lines: DecodedLine[]): void => {
    if (this.state !== 'open') return;
    try {
      const receivedNs = this.runtime.now() * 1e6;
      this.heardFromPeer();
      this.watchdog.heard();
      this.heartbeatTimer?.refresh();
      for (const decoded of lines) this.queue.push({ decoded, receivedNs });
      this.pump().catch(this.onInternalError);
    } catch (err) {
      this.onInternalError(err);
    }
  };

  /**
   * Something thrown while handling this connection that no handler turned into an
   * error response: the connection's state can no longer be trusted, so it ends, with
   * PL_ERR_INTERNAL told to the peer and logged (rate-limited); other connections and
   * the process go on.
   */
  private readonly onInternalError = (err: unknown): void => {
    const detail = err instanceof Error ? err.message : String(err);
    this.log.limited('internal', `${this.peerLabel} ${this.remote} (#${this.id}): ${ErrorCode.INTERNAL}: ${detail.slice(0, 200)}; closing the connection`);
    try {
      this.endAfterFlush = true;
      this.closeByDevice(ErrorCode.INTERNAL, 'internal error while handling this connection; it was closed (see the device log)');
    } catch {
      this.framed.destroy();
    }
  };

  private readonly socketOnEnd = (): void => {
    // An evicted peer that gives up: let go of its socket now.
    if (this.evicted) return void this.framed.destroy();
    // The peer will send nothing more; answer what it already sent, then close.
    this.peerEnded = true;
    if (!this.pumping) this.beginClose();
  };

  private readonly socketOnError = (err: NodeJS.ErrnoException): void => {
    this.log.limited('connection-error', `${this.peerLabel} ${this.remote} (#${this.id}): ${err.code ?? err.message}`);
  };

  private readonly socketOnClose = (): void => {
    this.state = 'closed';
    this.watchdog.stop();
    clearTimeout(this.heartbeatTimer);
    this.ownRequests.rejectAll(
      (request) => new PicolinkError(ErrorCode.CONNECTION_CLOSED, `the connection to ${this.remote} closed before request d${request.seq} was answered`),
    );
    this.queue.length = 0;
    this.runtime.detach(this);
    this.log.limited('disconnect', `${this.peerLabel} ${this.remote} disconnected (#${this.id})`);
    this.resolveClosed();
  };

  /** A controller fell silent (controller-watchdog.ts): its outputs go safe now, then it is closed. */
  private readonly controllerGone = (silentMs: number): void => {
    if (this.state !== 'open') return;
    const message = `no frame for ${silentMs} ms while controlling outputs with safe values; safe values applied, closing the connection`;
    this.log.limited('controller-gone', `${this.peerLabel} ${this.remote} (#${this.id}): ${message}`);
    this.closeByDevice(ErrorCode.IDLE_TIMEOUT, message);
  };

  private readonly onSilence = (): void => {
    if (this.state !== 'open') return;
    const gate = this.runtime.sleepGate();
    if (gate) {
      // The device was asleep, not the peer: count again from waking.
      void gate.then(() => this.restartSilenceTimer(this.greeted ? this.idleTimeoutMs : this.helloTimeoutMs));
      return;
    }
    const message = this.greeted
      ? `no frame for ${this.idleTimeoutMs} ms; closing the connection (send ping to keep it open)`
      : `no request within ${this.helloTimeoutMs} ms of connecting; closing the connection`;
    this.log.limited('idle', `${this.peerLabel} ${this.remote} (#${this.id}): ${message}`);
    this.closeByDevice(ErrorCode.IDLE_TIMEOUT, message);
  };

  private heardFromPeer(): void {
    if (this.greeted) return;
    this.greeted = true;
    this.restartSilenceTimer(this.idleTimeoutMs);
  }

  private restartSilenceTimer(ms: number): void {
    if (this.state === 'open') this.framed.setSilence(ms);
  }

  /** Handles queued frames in order; only one pump runs at a time. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.state === 'open' && !this.endAfterFlush) {
        const next = this.queue.shift();
        if (next === undefined) break;
        const gate = this.runtime.sleepGate();
        if (gate) {
          this.queue.unshift(next);
          await this.waitFor(gate);
          continue;
        }
        const pending = this.handle(next);
        if (pending) await this.waitFor(pending);
      }
    } finally {
      this.pumping = false;
    }
    this.framed.flush();
    if (this.endAfterFlush || this.peerEnded) this.beginClose();
  }

  /** Waits for the device (sleep, file I/O); reading pauses meanwhile so the queue stays short. */
  private async waitFor(pending: Promise<void>): Promise<void> {
    this.framed.flush();
    this.framed.setBusy(true);
    try {
      await pending;
    } finally {
      if (this.state === 'open') this.framed.setBusy(false);
    }
  }

  /** One frame; returns a promise only when its handler is asynchronous. */
  private handle({ decoded, receivedNs }: QueuedFrame): Promise<void> | undefined {
    if (decoded.error) {
      // Oversized or not UTF-8: the stream can no longer be trusted to be in step.
      this.framed.queue(encodeFrame(errorResponse(null, decoded.error)));
      this.log.limited('bad-frame', `${this.peerLabel} ${this.remote} (#${this.id}): ${decoded.error.code}; closing`);
      this.endAfterFlush = true;
      return undefined;
    }
    let frame: Record<string, unknown>;
    try {
      frame = parseFrame(decoded.line);
    } catch (err) {
      this.framed.queue(encodeFrame(errorResponse(null, err)));
      return undefined;
    }
    const kind = messageKind(frame);
    if (kind === 'response') {
      this.watchdog.peerAnswersPings();
      const id = frame.id;
      // The device's own ids are "d1", "d2", ...; answers to anything else are ignored.
      if (typeof id === 'string' && /^d[1-9]\d*$/.test(id) && this.ownRequests.settleSeq(Number(id.slice(1)), frame)) this.served = true;
      return undefined;
    }
    // Events need no answer.
    if (kind === 'event') return undefined;
    let request: DeviceRequest;
    try {
      request = validateDeviceRequest(frame, this.runtime.backend);
    } catch (err) {
      this.framed.queue(encodeFrame(errorResponse(frame, err)));
      return undefined;
    }
    if (request.id !== undefined) this.watchdog.peerAnswersPings();
    this.served = true;
    this.deferred = [];
    let result: object | Promise<object>;
    try {
      result = runAction(request, this.context);
    } catch (err) {
      this.answer(this.failure(frame, err));
      return undefined;
    }
    const line = decoded.line;
    if (!(result instanceof Promise)) {
      this.answer(encodeSuccessResponse(line, frame, result, receivedNs));
      return undefined;
    }
    return result.then(
      (fields) => this.answer(encodeSuccessResponse(line, frame, fields, receivedNs)),
      (err: unknown) => this.answer(this.failure(frame, err)),
    );
  }

  private failure(frame: Record<string, unknown>, err: unknown): string {
    const coded = toPicolinkError(err);
    if (coded.code === ErrorCode.INTERNAL) this.log.limited('internal', `${this.peerLabel} ${this.remote} (#${this.id}): ${coded.message}`);
    return encodeFrame(errorResponse(frame, coded));
  }

  /** Queues a response frame, then the events its request caused. */
  private answer(response: string): void {
    this.framed.queue(response);
    const events = this.deferred ?? [];
    this.deferred = undefined;
    for (const event of events) this.framed.queue(event);
  }

  /** Writes one of the device's own requests, its id "d<seq>" first, as the protocol's examples write it (a caller's own id is replaced). */
  private sendOwn(seq: number, fields: Record<string, unknown>): void {
    const id = `d${seq}`;
    const frame: Record<string, unknown> = { id, ...fields };
    frame.id = id;
    const text = encodeFrame(frame);
    if (this.pumping) this.framed.queue(text);
    else this.framed.write(text);
  }

  private armHeartbeat(): void {
    if (this.heartbeatMs > 0 && this.state === 'open') this.heartbeatTimer = setTimeout(this.onHeartbeat, this.heartbeatMs);
  }

  /** Nothing heard for a heartbeat: ping; the idle timeout closes the connection if the silence goes on. */
  private readonly onHeartbeat = (): void => {
    if (this.state !== 'open') return;
    if (!this.runtime.sleepGate()) this.request({ action: 'ping' }, this.idleTimeoutMs > 0 ? this.idleTimeoutMs : this.heartbeatMs * 3).catch(() => {});
    this.heartbeatTimer?.refresh();
  };

  private emitEvent(text: string): void {
    if (this.state !== 'open') return;
    if (this.deferred) this.deferred.push(text);
    else if (this.pumping) this.framed.queue(text);
    else this.framed.write(text);
  }

  private beginClose(): void {
    if (this.state !== 'open') return;
    // The failsafe applies when the device decides the peer is gone, not when the socket
    // finally closes: a half-open peer would otherwise hold its outputs for the close grace.
    this.runtime.pins.releaseOwner(this.id);
    this.state = 'closing';
    this.watchdog.stop();
    clearTimeout(this.heartbeatTimer);
    this.queue.length = 0;
    // Reading goes on so the peer's FIN is seen; anything else it sends is ignored now.
    this.framed.end();
  }
}
