/**
 * One device connection to the gateway (docs/protocol.md#dial-home): the hello, then the
 * device's frames — responses to the hub's requests (handed to its DialHomeLink), events
 * (recorded), its own pings (answered). Everything about one connection is bounded so a
 * device can only ever hurt itself:
 * - a frame over the limit or not UTF-8 gets an error response and ends the connection;
 * - frames beyond `maxFramesPerSecond` are not read: the rest of the chunk waits and the
 *   socket is paused (TCP pushes back on the device), counted as throttling;
 * - reading pauses while the device does not read what the hub writes, and a device whose
 *   unread output passes `maxOutputBytes` is dropped.
 * - an exception escaping the handling of its bytes (a bug, a failing hook) ends this
 *   connection with PL_ERR_INTERNAL, counted and logged (rate-limited), never the process.
 * The socket itself — bounded framing, output bound, backpressure, graceful close — is
 * @picolink/net's FramedConnection; this class is the gateway's protocol on top of it.
 * Timing (hello timeout, heartbeats, half-open detection) is driven by the gateway's one
 * sweep timer, so an idle connection costs no timer of its own.
 */
import type { Socket } from 'node:net';
import {
  encodeFrame,
  ErrorCode,
  errorResponse,
  helloEcho,
  LineDecoder,
  messageKind,
  parseFrame,
  PicolinkError,
  successResponse,
  toPicolinkError,
  validateHello,
  welcomeResponse,
} from '@picolink/protocol';
import type { DecodedLine, ErrorCodeValue, Hello } from '@picolink/protocol';
import { FramedConnection, TokenBucket } from '@picolink/net';
import type { FramedConnectionHandlers, StreamFramer } from '@picolink/net';
import type { KnownDevice } from '../credentials.js';
import type { OnlineSession } from '../state/presence.js';
import type { GatewayContext } from './context.js';
import { DialHomeLink } from './link.js';
import type { LinkConnection } from './link.js';
import { pinChangeRecord } from '../state/device-events.js';

/** The hub's heartbeat ping; its answer is recognised by the id and needs no bookkeeping. */
const HEARTBEAT_ID = 'hb';
const HEARTBEAT_PING = encodeFrame({ id: HEARTBEAT_ID, action: 'ping' });

type ConnectionState = 'hello' | 'serving' | 'evicted' | 'closing' | 'closed';

/** Who keeps the gateway's connections: told when one no longer waits for its hello, and when one is gone. */
export interface ConnectionTracker {
  /** A connection's socket closed. */
  connectionClosed(connection: GatewayConnection): void;
  /** A connection no longer waits for its hello: welcomed, refused or closing. */
  helloSettled(connection: GatewayConnection): void;
}

/**
 * Also its FramedConnection's framer (`push`: the LineDecoder, noting when bytes were last
 * heard) and handlers (`onFrames`, `onEnd`, ...): methods rather than closures, so ten
 * thousand connections hold no handler objects of their own.
 */
export class GatewayConnection implements LinkConnection, StreamFramer<DecodedLine>, FramedConnectionHandlers<DecodedLine> {
  readonly remote: string;
  readonly acceptedAt = Date.now();
  /** Unix ms of the last bytes received. */
  lastHeard = this.acceptedAt;
  private lastPingAt = 0;
  private state: ConnectionState = 'hello';
  private link: DialHomeLink | undefined;
  private session: OnlineSession | undefined;
  private readonly decoder: LineDecoder;
  private readonly framed: FramedConnection<DecodedLine>;
  private readonly bucket: TokenBucket;
  /** Lines of the last chunk not handled yet because the device was over its frame rate. */
  private backlog: DecodedLine[] | undefined;
  private backlogIndex = 0;
  private throttleTimer: NodeJS.Timeout | undefined;
  private corked = false;
  private closeReason: string | undefined;
  /** What the device said in a `closing` event, if it sent one. */
  private deviceReason: string | undefined;
  private socketError: string | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: GatewayContext,
    private readonly tracker: ConnectionTracker,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.bucket = new TokenBucket(ctx.options.maxFramesPerSecond, this.acceptedAt);
    socket.setNoDelay(true);
    const { maxFrameBytes, maxOutputBytes, closeGraceMs } = ctx.options;
    this.decoder = new LineDecoder({ maxFrameBytes });
    this.framed = new FramedConnection<DecodedLine>(socket, this, this, { maxOutputBytes, closeGraceMs });
  }

  /** True once the device has been welcomed and until the connection closes. */
  get serving(): boolean {
    return this.state === 'serving';
  }

  /** The gateway's periodic check: hello timeout, heartbeat ping, half-open detection. */
  sweep(now: number): void {
    const { options, heartbeatMs, counters, log } = this.ctx;
    if (this.state === 'hello') {
      if (now - this.acceptedAt < options.helloTimeoutMs) return;
      counters.helloTimeouts += 1;
      log.limited('hello-timeout', `gateway: ${this.remote} sent no hello within ${options.helloTimeoutMs} ms; closing`);
      this.close(`no hello within ${options.helloTimeoutMs} ms`, ErrorCode.IDLE_TIMEOUT, true);
      return;
    }
    if (this.state !== 'serving') return;
    const silentMs = now - this.lastHeard;
    if (silentMs >= 3 * heartbeatMs) {
      counters.halfOpen += 1;
      log.limited('half-open', `gateway: device "${this.link?.deviceId ?? '?'}" (${this.remote}) sent nothing for ${silentMs} ms (3 heartbeats); closing the link`);
      this.close(`nothing received for ${silentMs} ms (3 heartbeats); the device or its network is gone`, ErrorCode.IDLE_TIMEOUT, true);
      // Nobody is there to finish the TCP close: let go once the last bytes are written.
      this.socket.destroySoon();
      return;
    }
    if (silentMs >= heartbeatMs && now - this.lastPingAt >= heartbeatMs) {
      this.lastPingAt = now;
      this.writeFrame(HEARTBEAT_PING);
    }
  }

  writeFrame(text: string): boolean {
    if (this.state === 'closing' || this.state === 'closed') return false;
    if (!this.corked) {
      // Frames written in one turn of the event loop leave in one packet.
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    return this.framed.write(text);
  }

  /**
   * Ends the connection from the hub's side. With `tell`, the device first gets a
   * `closing` event saying why (it ignores it, but a person reading the traffic sees it).
   */
  close(reason: string, code: ErrorCodeValue = ErrorCode.CONNECTION_CLOSED, tell = true): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    if (this.state === 'evicted') return void this.framed.destroy();
    if (this.state === 'hello') this.tracker.helloSettled(this);
    this.closeReason = reason;
    if (tell) this.writeFrame(encodeFrame({ event: 'closing', code, error: reason }));
    this.state = 'closing';
    this.dropBacklog();
    // Reading goes on (and is ignored) so the device's FIN is seen; destroyed after the grace.
    this.framed.end();
  }

  /** Destroys the socket at once. */
  destroy(): void {
    this.framed.destroy();
  }

  /**
   * Takes a connection that has not said hello out of the ones waiting for a hello, to
   * make room for a newer one: it is told why (`closing` event, PL_ERR_TOO_MANY_CLIENTS),
   * nothing more it sends is read, and its socket is closed when its hello timeout ends.
   */
  evict(reason: string): void {
    if (this.state !== 'hello') return;
    this.tracker.helloSettled(this);
    this.closeReason = reason;
    this.writeFrame(encodeFrame({ event: 'closing', code: ErrorCode.TOO_MANY_CLIENTS, error: reason }));
    // Held, unread, until its hello timeout: a peer that re-opens whatever closes finds
    // nothing to re-open. Its FIN or reset ends it sooner.
    this.state = 'evicted';
    this.dropBacklog();
    this.framed.holdThenDestroy(Math.max(0, this.acceptedAt + this.ctx.options.helloTimeoutMs - Date.now()));
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  /** Bytes received (while frames are read): any bytes count as hearing from the device. */
  push(chunk: Uint8Array): DecodedLine[] {
    this.lastHeard = Date.now();
    return this.decoder.push(chunk);
  }

  /** (The framer's) drops an unfinished frame once the connection reads no more; its size in bytes. */
  reset(): number {
    return this.decoder.reset();
  }

  /** What one chunk completed (a throw here ends this connection: onHandlerError). */
  onFrames(lines: DecodedLine[]): void {
    if (this.state !== 'hello' && this.state !== 'serving') return;
    this.handleLines(lines, 0);
  }

  onHandlerError(err: unknown): void {
    this.internalError(err);
  }

  /**
   * Something thrown while handling this connection that no handler turned into an
   * error response: this connection's state can no longer be trusted, so it ends with
   * PL_ERR_INTERNAL; other connections and the process go on.
   */
  internalError(err: unknown): void {
    const { counters, log } = this.ctx;
    counters.internalErrors += 1;
    const detail = err instanceof Error ? err.message : String(err);
    log.limited('internal', `gateway: ${this.describe()}: ${ErrorCode.INTERNAL}: ${detail.slice(0, 200)}; closing the connection`);
    try {
      this.close('internal error in the hub while handling this connection (see the hub log)', ErrorCode.INTERNAL, true);
    } catch {
      this.framed.destroy();
    }
  }

  private handleLines(lines: DecodedLine[], start: number): void {
    const now = Date.now();
    for (let i = start; i < lines.length; i++) {
      if (this.state !== 'hello' && this.state !== 'serving') return;
      if (!this.bucket.take(now)) {
        this.throttle(lines, i);
        return;
      }
      this.handleLine(lines[i] as DecodedLine);
    }
  }

  /** Over the frame rate: hold the rest of this chunk, stop reading, go on a little later. */
  private throttle(lines: DecodedLine[], index: number): void {
    const { counters, log, options } = this.ctx;
    counters.throttled += 1;
    log.limited('rate-limited', `gateway: ${ErrorCode.RATE_LIMITED}: ${this.describe()} sends more than ${options.maxFramesPerSecond} frames/s; reading slowed down`);
    this.backlog = lines;
    this.backlogIndex = index;
    this.framed.setBusy(true);
    this.throttleTimer = setTimeout(this.resumeBacklog, Math.max(10, Math.ceil(1000 / options.maxFramesPerSecond)));
  }

  private readonly resumeBacklog = (): void => {
    this.throttleTimer = undefined;
    const lines = this.backlog;
    if (!lines) return;
    this.backlog = undefined;
    try {
      this.handleLines(lines, this.backlogIndex);
      if (!this.backlog) this.framed.setBusy(false);
    } catch (err) {
      this.internalError(err);
    }
  };

  private handleLine(decoded: DecodedLine): void {
    const { counters, log } = this.ctx;
    if (decoded.error) {
      // Over the limit or not UTF-8: the stream is out of step; answer, then end it.
      if (decoded.error.code === ErrorCode.FRAME_TOO_LARGE) counters.oversizeFrames += 1;
      else counters.badFrames += 1;
      log.limited('bad-frame', `gateway: ${this.describe()}: ${decoded.error.code}: ${decoded.error.message}; closing`);
      this.writeFrame(encodeFrame(errorResponse(null, decoded.error)));
      this.close(decoded.error.message, decoded.error.code, false);
      return;
    }
    let frame: Record<string, unknown>;
    try {
      frame = parseFrame(decoded.line);
    } catch (err) {
      counters.badFrames += 1;
      log.limited('bad-frame', `gateway: ${this.describe()}: ${toPicolinkError(err).code}`);
      this.writeFrame(encodeFrame(errorResponse(null, err)));
      if (this.state === 'hello') this.close('the first frame was not a hello', ErrorCode.UNAUTHORIZED, false);
      return;
    }
    if (this.state === 'hello') this.greet(frame);
    else this.dispatch(frame);
  }

  private greet(frame: Record<string, unknown>): void {
    let hello: Hello | undefined;
    let device: KnownDevice | undefined;
    try {
      hello = validateHello(frame);
      device = this.ctx.admission.admit(hello);
    } catch (err) {
      this.refuse(frame, hello, toPicolinkError(err));
      return;
    }
    const { ctx } = this;
    this.tracker.helloSettled(this);
    ctx.counters.welcomed += 1;
    const config = device?.config ?? {};
    this.writeFrame(encodeFrame(welcomeResponse(frame, { server_time: Date.now(), heartbeat_ms: ctx.heartbeatMs, config }, Date.now() * 1e6)));
    this.state = 'serving';
    this.lastPingAt = Date.now();
    const { options } = ctx;
    this.link = new DialHomeLink(this, hello.device, this.remote, hello.protocol, internCapabilities(hello.capabilities), {
      timeoutMs: options.requestTimeoutMs,
      maxPending: options.maxPendingRequests,
      maxFrameBytes: options.maxFrameBytes,
    });
    this.session = ctx.presence.online(this.link, { firmware: hello.firmware, data: { boot: hello.boot } });
  }

  private refuse(frame: Record<string, unknown>, hello: Hello | undefined, err: PicolinkError): void {
    const { counters, log } = this.ctx;
    if (err.code === ErrorCode.UNAUTHORIZED && hello !== undefined) counters.unauthorized += 1;
    else if (err.code === ErrorCode.UNKNOWN_DEVICE) counters.unknownDevices += 1;
    else counters.badHellos += 1;
    const who = hello ? `"${hello.device}" (${this.remote})` : this.remote;
    log.limited(`refused-${err.code}`, `gateway: hello from ${who} refused: ${err.message} (${err.code})`);
    this.writeFrame(encodeFrame(errorResponse(helloEcho(frame), err)));
    this.close(err.message, err.code, false);
  }

  private dispatch(frame: Record<string, unknown>): void {
    const link = this.link as DialHomeLink;
    switch (messageKind(frame)) {
      case 'response':
        if (!link.settle(frame) && frame.id !== HEARTBEAT_ID) this.ctx.counters.unmatchedResponses += 1;
        return;
      case 'event':
        return this.deviceEvent(frame, link.deviceId);
      case 'request':
        if (frame.action === 'ping') {
          this.writeFrame(encodeFrame(successResponse(frame, {}, Date.now() * 1e6)));
          return;
        }
        this.writeFrame(
          encodeFrame(errorResponse(frame, new PicolinkError(ErrorCode.UNKNOWN_ACTION, `unknown action "${String(frame.action)}"; on a dial-home connection the hub answers only "ping"`))),
        );
        return;
      default:
        this.writeFrame(encodeFrame(errorResponse(frame, new PicolinkError(ErrorCode.MISSING_FIELD, 'incomplete command, missing fields: action'))));
    }
  }

  private deviceEvent(frame: Record<string, unknown>, deviceId: string): void {
    if (frame.event === 'pin_change') {
      const record = pinChangeRecord(deviceId, frame, Date.now());
      if (record) this.ctx.events.record(record);
      else this.ctx.counters.badFrames += 1;
    } else if (frame.event === 'closing') {
      const why = typeof frame.error === 'string' ? frame.error.slice(0, 200) : 'no reason given';
      this.deviceReason = `the device closed the link: ${why}`;
    }
    // Other event kinds are ignored, as the protocol asks of receivers.
  }

  onOverflow(unsentBytes: number): void {
    this.ctx.counters.slowConsumers += 1;
    this.ctx.log.limited('slow-consumer', `gateway: ${ErrorCode.SLOW_CONSUMER}: ${this.describe()} does not read; ${unsentBytes} bytes unsent; dropping the connection`);
    this.closeReason = 'the device did not read what the hub sent (slow consumer)';
  }

  onEnd(): void {
    if (this.state === 'evicted') return void this.framed.destroy();
    // The device will send nothing more (an allowHalfOpen listener leaves our side open).
    if (this.state === 'hello' || this.state === 'serving') this.close(this.deviceReason ?? 'the device closed the connection', ErrorCode.CONNECTION_CLOSED, false);
  }

  onError(err: NodeJS.ErrnoException): void {
    this.socketError ??= err.code ?? err.message;
  }

  onClose(): void {
    this.state = 'closed';
    this.dropBacklog();
    const reason =
      this.closeReason ?? this.deviceReason ?? (this.socketError ? `the connection failed (${this.socketError})` : 'the device closed the connection');
    if (this.link && this.session) {
      this.link.connectionClosed(reason);
      this.ctx.presence.offline(this.session, reason);
    }
    this.tracker.connectionClosed(this);
  }

  /** Forgets lines held back by the frame rate (the connection is ending). */
  private dropBacklog(): void {
    this.backlog = undefined;
    clearTimeout(this.throttleTimer);
    this.throttleTimer = undefined;
  }

  private describe(): string {
    return this.link ? `device "${this.link.deviceId}" (${this.remote})` : this.remote;
  }
}

const internedCapabilities = new Map<string, readonly string[]>();
const MAX_INTERNED = 256;

/** Devices of one kind announce the same list; they share one frozen copy. */
function internCapabilities(list: readonly string[]): readonly string[] {
  const key = list.join('\u0000');
  const known = internedCapabilities.get(key);
  if (known) return known;
  const copy = Object.freeze([...list]);
  if (internedCapabilities.size < MAX_INTERNED) internedCapabilities.set(key, copy);
  return copy;
}
