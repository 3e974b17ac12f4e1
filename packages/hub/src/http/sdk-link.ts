/**
 * The SDK's link to a device through the hub: `GET /api/devices/:id/link` (WebSocket),
 * the hub end of the SDK's `hub://` transport. (The hub's own links to devices are
 * gateway/ and links/.)
 * Protocol lines travel one per message (docs/hub.md#device-link). The hub plays the
 * device for the SDK:
 *
 * - `get_version` (the handshake) and `ping` (the SDK's heartbeat) are answered by the
 *   hub, with the device's firmware and capabilities; `pipeline` is always offered, since
 *   the hub matches responses by id.
 * - Every other request is validated and sent through the commands service (audit log,
 *   state keeping), and the device's response goes back with the SDK's own id.
 * - `watch_pin` is forwarded with edge "both" (the hub's connection to the device is shared
 *   by everyone); each link filters the edges it asked for and gets the device's
 *   pin_change events for the pins it watches. `unwatch_pin` only ends that link's
 *   interest. Watches are sent again when the device comes back online.
 * - While the device is offline, requests get PL_ERR_DEVICE_OFFLINE error responses and
 *   the link stays open; `{"event":"status","online":...}` tells the SDK when it changes.
 *
 * Responses are sent in the order the requests arrived, as a device does. Frames from the
 * SDK are parsed with the protocol's shape limits (PL_ERR_JSON_TOO_COMPLEX), and an
 * exception escaping the handling of one link, at once or while its answer is built,
 * closes that link (WebSocket close 1011, PL_ERR_INTERNAL logged, rate-limited), never
 * the hub.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, errorResponse, ErrorCode, messageKind, parseFrame, PicolinkError, successResponse, validateRequest } from '@picolink/protocol';
import type { ValidRequest } from '@picolink/protocol';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { DeviceStatusChange } from '../bus.js';
import type { HubEventRecord } from '../store/store.js';
import { sendForCaller } from './commands.js';
import type { ApiContext } from './context.js';
import { requireKnownDevice } from '../known-devices.js';
import { refuseTelemetryOnly } from './device-view.js';
import { failSocket, guardMessages } from './websocket.js';
import type { UpgradeRoute, WebSocketKeepAlive } from './websocket.js';

type Edge = 'rising' | 'falling' | 'both';

interface PinWatch {
  edge: Edge;
  debounceMs: number;
}

function nowNs(): number {
  return Date.now() * 1e6;
}

function edgeMatches(edge: Edge, value: unknown): boolean {
  return edge === 'both' || (edge === 'rising' ? value === 1 : value === 0);
}

/** A pin_change event as the device sent it, rebuilt from the hub's event record. */
export function pinChangeFrame(event: HubEventRecord): Record<string, unknown> {
  const data = event.data;
  const frame: Record<string, unknown> = { event: 'pin_change', pin: data.pin, value: data.value, cause: data.cause };
  frame.t = typeof data.t === 'number' ? data.t : (event.deviceTime ?? null);
  frame.time = typeof data.time === 'number' ? data.time : event.time;
  return frame;
}

/** One SDK connection (`hub://`) to one device through the hub. */
class SdkLinkSession {
  private readonly watches = new Map<string, PinWatch>();
  private inFlight = 0;
  /** Resolves when the previous response has been sent, so responses keep request order. */
  private sendChain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly onEvent = (event: HubEventRecord): void => this.guarded(() => this.busOnEvent(event));
  private readonly onStatus = (change: DeviceStatusChange): void => this.guarded(() => this.busOnStatus(change));
  private readonly log = (line: string): void => this.ctx.logLimited('link-internal', line);

  constructor(
    private readonly ws: WebSocket,
    private readonly deviceId: string,
    private readonly actor: string,
    private readonly ctx: ApiContext,
  ) {
    ctx.bus.on('event', this.onEvent);
    ctx.bus.on('status', this.onStatus);
    guardMessages(ws, `device link to "${deviceId}"`, this.log, (text) => this.wsOnMessage(text));
    ws.on('close', () => this.wsOnClose());
    ws.on('error', () => ws.terminate());
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  /** Runs a bus listener: a failure ends this link, never the emitter (the gateway, a link). */
  private guarded(listener: () => void): void {
    try {
      listener();
    } catch (err) {
      failSocket(this.ws, `device link to "${this.deviceId}"`, this.log, err);
    }
  }

  private wsOnMessage(text: string): void {
    for (const line of text.split('\n')) {
      if (this.closed) return;
      if (line.trim() === '') continue;
      this.lineOnReceive(line);
    }
  }

  private lineOnReceive(line: string): void {
    let frame: Record<string, unknown>;
    try {
      frame = parseFrame(line);
    } catch (err) {
      this.respond(Promise.resolve(errorResponse(null, err)));
      return;
    }
    // The hub never sends the SDK requests, so responses and events from it have nothing to match.
    if (messageKind(frame) !== 'request') return;
    if (this.inFlight >= this.ctx.limits.maxLinkInFlight) {
      const busy = new PicolinkError(ErrorCode.BUSY, `more than ${this.ctx.limits.maxLinkInFlight} requests are waiting for "${this.deviceId}"; wait for answers before sending more`);
      this.respond(Promise.resolve(errorResponse(frame, busy)));
      return;
    }
    this.respond(this.answer(frame));
  }

  private respond(response: Promise<Record<string, unknown>>): void {
    this.inFlight += 1;
    const settled = response.catch((err: unknown) => errorResponse(null, err));
    this.sendChain = this.sendChain
      .then(() => settled)
      .then((frame) => {
        this.inFlight -= 1;
        this.send(frame);
      })
      // A response that cannot be sent is the hub's failure: it ends this link, not the hub.
      .catch((err: unknown) => failSocket(this.ws, `device link to "${this.deviceId}"`, this.log, err));
  }

  private send(frame: Record<string, unknown>): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeFrame(frame));
  }

  private async answer(frame: Record<string, unknown>): Promise<Record<string, unknown>> {
    let request: ValidRequest;
    try {
      request = validateRequest(frame);
    } catch (err) {
      return errorResponse(frame, err);
    }
    switch (request.action) {
      case 'get_version':
        return successResponse(frame, await this.version(), nowNs());
      case 'ping':
        return successResponse(frame, {}, nowNs());
      case 'watch_pin':
        return this.watch(frame, request.fields.pin, request.fields.edge, request.fields.debounce_ms);
      case 'unwatch_pin':
        this.watches.delete(String(request.fields.pin));
        return successResponse(frame, { watching: false }, nowNs());
      default:
        return this.forward(frame);
    }
  }

  /** The device's firmware and capabilities, as the handshake reports them. */
  private async version(): Promise<{ version: string; protocol: number; capabilities: string[] }> {
    const link = this.ctx.directory.get(this.deviceId) ?? this.ctx.directory.remote(this.deviceId);
    const record = await this.ctx.store.getDevice(this.deviceId);
    const info = record?.info;
    const fromInfo = Array.isArray(info?.capabilities) ? info.capabilities.filter((c): c is string => typeof c === 'string') : [];
    const capabilities = new Set(['pipeline', ...(link ? link.capabilities : fromInfo)]);
    return { version: record?.firmware ?? '', protocol: 1, capabilities: [...capabilities] };
  }

  private async watch(frame: Record<string, unknown>, pin: number | 'LED', edge: Edge, debounceMs: number): Promise<Record<string, unknown>> {
    const response = await this.forward({ ...frame, edge: 'both', debounce_ms: debounceMs });
    if (response.ok === true) this.watches.set(String(pin), { edge, debounceMs });
    // The SDK sees its own request echoed, not the edge the hub asked the device for.
    const echoed = { ...response };
    for (const field of ['edge', 'debounce_ms']) {
      if (frame[field] === undefined) delete echoed[field];
      else echoed[field] = frame[field];
    }
    return echoed;
  }

  /** Sends a request through the commands service; the response carries the SDK's id. */
  private async forward(frame: Record<string, unknown>): Promise<Record<string, unknown>> {
    return (await sendForCaller(this.ctx, this.deviceId, frame, this.actor)).response;
  }

  private busOnEvent(event: HubEventRecord): void {
    if (event.deviceId !== this.deviceId || event.type !== 'pin_change') return;
    const watch = this.watches.get(String(event.data.pin));
    if (!watch || !edgeMatches(watch.edge, event.data.value)) return;
    this.send(pinChangeFrame(event));
  }

  private busOnStatus(change: DeviceStatusChange): void {
    if (change.deviceId !== this.deviceId) return;
    this.send({ event: 'status', device: this.deviceId, online: change.online, time: change.time });
    if (change.online) this.rewatch();
  }

  /** A device that reconnected has forgotten the hub's watches: ask again for this link's pins. */
  private rewatch(): void {
    for (const [pin, watch] of this.watches) {
      const request = { action: 'watch_pin', pin: pin === 'LED' ? 'LED' : Number(pin), edge: 'both', debounce_ms: watch.debounceMs };
      this.ctx.sendCommand(this.deviceId, request, this.actor).catch(() => {});
    }
  }

  private wsOnClose(): void {
    this.closed = true;
    this.ctx.bus.off('event', this.onEvent);
    this.ctx.bus.off('status', this.onStatus);
  }
}

/** Every SDK link the hub serves: the upgrade route, the limit on their number, closing them. */
export class SdkLinks {
  private readonly sessions = new Set<SdkLinkSession>();
  // One frame plus its newline per message, as over TCP.
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: DEFAULT_MAX_FRAME_BYTES + 1, perMessageDeflate: false });

  constructor(
    private readonly ctx: ApiContext,
    private readonly keepAlive: WebSocketKeepAlive,
  ) {}

  /** The upgrade route for `GET /api/devices/:id/link`. */
  get route(): UpgradeRoute {
    return { path: '/api/devices/:id/link', upgrade: (request, socket, head, params) => this.upgrade(request, socket, head, params.id ?? '') };
  }

  get count(): number {
    return this.sessions.size;
  }

  close(): void {
    for (const session of this.sessions) session.close(1001, 'the hub is shutting down');
    this.sessions.clear();
    this.wss.close();
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, deviceId: string): Promise<void> {
    refuseTelemetryOnly(this.ctx, deviceId, await requireKnownDevice(this.ctx, deviceId));
    // A device another hub holds is reached through that hub, as commands from the API are.
    if (!this.ctx.directory.remote(deviceId)) this.ctx.directory.require(deviceId);
    if (this.sessions.size >= this.ctx.limits.maxDeviceLinks) {
      throw new PicolinkError(ErrorCode.TOO_MANY_CLIENTS, `the hub already serves ${this.sessions.size} device links, its limit; close one and try again`);
    }
    if (socket.destroyed) return;
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      const session = new SdkLinkSession(ws, deviceId, `sdk:${request.socket.remoteAddress ?? '?'}`, this.ctx);
      this.sessions.add(session);
      this.keepAlive.track(ws);
      ws.once('close', () => this.sessions.delete(session));
    });
  }
}
