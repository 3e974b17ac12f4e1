/**
 * `GET /api/stream` (WebSocket): live telemetry, events and device status from the hub's
 * bus, one JSON message each, optionally only for some devices (`?device=a,b`) and kinds
 * (`?types=telemetry,event,status`). The first message, `{"type":"subscribed",...}`,
 * confirms the filter.
 *
 * Each client has a bounded send buffer: a client whose unsent bytes pass
 * `maxStreamBufferedBytes` (a browser tab that stopped reading) is dropped, and nobody
 * else waits for it — every message is serialised once and handed to each socket.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { DeviceStatusChange } from '../bus.js';
import type { HubEventRecord, TelemetryRow } from '../store/store.js';
import type { StreamMessage, TelemetryPoint } from '../api-types.js';
import type { ApiContext } from './context.js';
import { parseDeviceList } from './query.js';
import type { RawQuery } from './query.js';
import { parseRequestTarget } from './request-url.js';
import { guardMessages } from './websocket.js';
import type { UpgradeRoute, WebSocketKeepAlive } from './websocket.js';

export const STREAM_TYPES = ['telemetry', 'event', 'status'] as const;
export type StreamType = (typeof STREAM_TYPES)[number];

/** WebSocket close code sent to a client dropped for not reading (policy: "try again later"). */
export const SLOW_CLIENT_CLOSE_CODE = 1013;

interface StreamClient {
  ws: WebSocket;
  devices: ReadonlySet<string> | null;
  types: ReadonlySet<StreamType>;
  remote: string;
}

export interface StreamStats {
  clients: number;
  /** Clients dropped because they did not keep up. */
  dropped: number;
}

function parseTypes(query: RawQuery): Set<StreamType> {
  const raw = query.types;
  if (raw === undefined) return new Set(STREAM_TYPES);
  const names = (Array.isArray(raw) ? raw : [raw]).flatMap((part) => part.split(',')).map((t) => t.trim()).filter((t) => t !== '');
  const types = new Set<StreamType>();
  for (const name of names) {
    if (!(STREAM_TYPES as readonly string[]).includes(name)) {
      throw new PicolinkError(ErrorCode.BAD_TYPE, `"types" lists "${name}"; the kinds are ${STREAM_TYPES.join(', ')}`);
    }
    types.add(name as StreamType);
  }
  return types.size === 0 ? new Set(STREAM_TYPES) : types;
}

function queryOf(request: IncomingMessage): RawQuery {
  const query: RawQuery = {};
  for (const [key, value] of parseRequestTarget(request.url).query) {
    const previous = query[key];
    query[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return query;
}

export class LiveStream {
  private readonly clients = new Set<StreamClient>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  private dropped = 0;
  private readonly onTelemetry = (rows: readonly TelemetryRow[]): void => this.guarded(() => this.busOnTelemetry(rows));
  private readonly onEvent = (event: HubEventRecord): void => this.guarded(() => this.busOnEvent(event));
  private readonly onStatus = (change: DeviceStatusChange): void => this.guarded(() => this.busOnStatus(change));

  constructor(
    private readonly ctx: ApiContext,
    private readonly keepAlive: WebSocketKeepAlive,
  ) {
    ctx.bus.on('telemetry', this.onTelemetry);
    ctx.bus.on('event', this.onEvent);
    ctx.bus.on('status', this.onStatus);
  }

  /** The upgrade route for `GET /api/stream`. */
  get route(): UpgradeRoute {
    return { path: '/api/stream', upgrade: (request, socket, head) => this.upgrade(request, socket, head) };
  }

  get stats(): StreamStats {
    return { clients: this.clients.size, dropped: this.dropped };
  }

  /** Closes every stream (1001 "going away") and stops listening to the bus. */
  close(): void {
    this.ctx.bus.off('telemetry', this.onTelemetry);
    this.ctx.bus.off('event', this.onEvent);
    this.ctx.bus.off('status', this.onStatus);
    for (const client of this.clients) client.ws.close(1001, 'the hub is shutting down');
    this.clients.clear();
    this.wss.close();
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const query = queryOf(request);
    const devices = parseDeviceList(query);
    const types = parseTypes(query);
    if (this.clients.size >= this.ctx.limits.maxStreamClients) {
      throw new PicolinkError(ErrorCode.TOO_MANY_CLIENTS, `the hub already serves ${this.clients.size} live streams, its limit; close one and try again`);
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      const client: StreamClient = { ws, devices: devices ? new Set(devices) : null, types, remote: request.socket.remoteAddress ?? '?' };
      this.clients.add(client);
      this.keepAlive.track(ws);
      ws.on('close', () => this.clients.delete(client));
      // Clients only listen: text they send is ignored, binary closes their socket (1003),
      // and errors end only their socket.
      guardMessages(ws, `live stream client ${client.remote}`, (line) => this.ctx.logLimited('stream-internal', line), () => {});
      ws.on('error', () => ws.terminate());
      this.deliver(client, JSON.stringify({ type: 'subscribed', devices: devices ?? null, types: [...types] }));
    });
  }

  /**
   * Runs a bus listener: a failure to deliver is logged (PL_ERR_INTERNAL) and never
   * thrown into the emitter (the telemetry ingest, the gateway).
   */
  private guarded(listener: () => void): void {
    try {
      listener();
    } catch (err) {
      this.ctx.logLimited('stream-internal', `http: live stream delivery failed (${ErrorCode.INTERNAL}): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  private busOnTelemetry(rows: readonly TelemetryRow[]): void {
    if (this.clients.size === 0) return;
    const byDevice = new Map<string, TelemetryPoint[]>();
    for (const row of rows) {
      let list = byDevice.get(row.deviceId);
      if (!list) byDevice.set(row.deviceId, (list = []));
      list.push({ metric: row.metric, time: row.time, value: row.value });
    }
    for (const [deviceId, deviceRows] of byDevice) this.broadcast('telemetry', deviceId, () => ({ type: 'telemetry', device: deviceId, rows: deviceRows }));
  }

  private busOnEvent(event: HubEventRecord): void {
    this.broadcast('event', event.deviceId, () => ({
      type: 'event',
      device: event.deviceId,
      event: { type: event.type, time: event.time, deviceTime: event.deviceTime ?? null, data: event.data },
    }));
  }

  private busOnStatus(change: DeviceStatusChange): void {
    this.broadcast('status', change.deviceId, () => ({ type: 'status', device: change.deviceId, online: change.online, time: change.time, hub: change.hubId ?? this.ctx.config.hubId }));
  }

  private broadcast(type: StreamType, deviceId: string, message: () => StreamMessage): void {
    let text: string | undefined;
    for (const client of this.clients) {
      if (!client.types.has(type) || (client.devices && !client.devices.has(deviceId))) continue;
      text ??= JSON.stringify(message());
      this.deliver(client, text);
    }
  }

  private deliver(client: StreamClient, text: string): void {
    const ws = client.ws;
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount + text.length > this.ctx.limits.maxStreamBufferedBytes) {
      this.drop(client);
      return;
    }
    ws.send(text);
  }

  private drop(client: StreamClient): void {
    this.clients.delete(client);
    this.dropped += 1;
    this.ctx.logLimited(
      'stream-slow-client',
      `http: live stream client ${client.remote} dropped: more than ${this.ctx.limits.maxStreamBufferedBytes} bytes waiting to be sent (${ErrorCode.SLOW_CONSUMER})`,
    );
    // The socket is not being read, so a close frame would never arrive: end it now.
    client.ws.terminate();
  }
}
