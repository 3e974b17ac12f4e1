/**
 * The JSON shapes of the HTTP API (docs/hub.md#http-api), types only, so the dashboard
 * imports them too (`@picolink/hub/api-types`) and the page and the hub agree by
 * construction. Nothing here may import a Node module.
 */
import type { ErrorCodeValue } from '@picolink/protocol';
import type { DeviceMode, HubEventRecord, SavedMessageRecord, SessionRecord, TelemetryRow } from './store/store.js';

export type { AuditRecord, DeviceMode, HubEventRecord, SessionRecord, TelemetryBucket } from './store/store.js';

/** Telemetry counters since the hub started, of one device or all, as the ingest keeps them. */
export interface TelemetryStats {
  /** Datagrams received (for a device: datagrams that named it, valid or not). */
  received: number;
  /** Datagrams accepted and stored. */
  accepted: number;
  /** Datagrams accepted before and seen again (resends, network duplicates): acked, not stored again. */
  duplicates: number;
  /** Sequence numbers skipped and not filled by a late datagram. */
  lost: number;
  /** Rejected datagrams by error code. */
  rejected: Partial<Record<ErrorCodeValue, number>>;
  /** Accepted datagrams per second over the last full second. */
  ratePerSecond: number;
  /** Unix ms of the last accepted datagram, or null. */
  lastSeen: number | null;
}

/** GET /api/health `telemetry`: the store writer's counters since the hub started. */
export interface HealthTelemetry {
  /** Readings the store accepted. */
  written: number;
  /** Readings waiting in memory to be written (many while the store is unreachable). */
  buffered: number;
  /** Readings dropped because the store was too far behind (no room in the queue). */
  dropped: number;
  /** Oldest readings dropped while the store was unreachable, past telemetry.maxBufferedRows. */
  droppedOldest: number;
  /** Readings lost to writes the store refused, or still unwritten at close while it was unreachable. */
  failed: number;
  /** Writes kept to be tried again because the store could not be reached. */
  retries: number;
  /** Unix ms since which the store has been unreachable, or null while it answers. */
  storeUnreachableSince: number | null;
}

/** GET /api/health `mqtt`: the MQTT bridge's counters since the hub started (docs/mqtt.md#health). */
export interface HealthMqtt {
  /** Connected to the broker now. */
  connected: boolean;
  /** Messages handed to the broker (QoS 1: acknowledged by it). */
  published: number;
  /** Messages not published: broker unreachable, socket full, or set commands past the in-flight limit. */
  dropped: number;
  /** Set commands received from the broker. */
  received: number;
  /** Set commands sent to devices. */
  commands: number;
  /** Set commands answered with an error, and publishes the broker failed. */
  errors: number;
  /** Connections to the broker after the first. */
  reconnects: number;
}

/** What the API says about a device (GET /api/devices). */
export interface DeviceView {
  id: string;
  online: boolean;
  /**
   * The hub holding the device's connection (its `hubId`; this hub's for its own links,
   * another's when several hubs share a PostgreSQL store), or null when offline.
   */
  hub: string | null;
  mode: DeviceMode;
  /** "host:port" of the live link, else where the device was last seen. */
  address: string | null;
  /** Unix ms; null for a configured device never heard from. */
  lastSeen: number | null;
  firstSeen: number | null;
  /** Unix ms at which the current link opened, or null when offline. */
  connectedAt: number | null;
  firmware: string | null;
  protocol: number | null;
  capabilities: string[];
  /** WiFi signal strength in dBm from the last get_info, or null. */
  rssi: number | null;
  /** Bytes free and allocated on the device's heap from the last get_info, or null. */
  memory: { free: number; alloc: number } | null;
  /** Device uptime in ms (get_info at connect plus the time since), or null when offline. */
  uptimeMs: number | null;
  /** Telemetry counters since the hub started, or null when none arrived. */
  telemetry: (TelemetryStats & { loss: number }) | null;
  /** Listed in the hub's configuration. */
  configured: boolean;
  /** Added through the API (POST /api/devices): its token can be rotated and it can be removed there. */
  managed: boolean;
}

/** GET /api/devices/:id. */
export interface DeviceDetail {
  device: DeviceView;
  metrics: string[];
  sessions: SessionRecord[];
}

/** A reading as the API and the live stream send it: the store's row without the device id. */
export type TelemetryPoint = Omit<TelemetryRow, 'deviceId' | 'datagram'>;

/** An event as the live stream sends it; GET /api/events adds `id` and `deviceId`. */
export type StreamEvent = Pick<HubEventRecord, 'type' | 'time' | 'deviceTime' | 'data'>;

/** Messages of GET /api/stream. */
export type StreamMessage =
  | { type: 'subscribed'; devices: string[] | null; types: string[] }
  | { type: 'telemetry'; device: string; rows: TelemetryPoint[] }
  | { type: 'event'; device: string; event: StreamEvent }
  | {
      type: 'status';
      device: string;
      online: boolean;
      time: number;
      /** The hub whose connection to the device began or ended (its `hubId`). */
      hub: string;
    };

/** A saved network tools message as GET /api/nettools/messages lists it. */
export type SavedMessage = Omit<SavedMessageRecord, 'createdAt'>;

/** One of the hub's interface addresses (GET /api/nettools/addresses). */
export interface HubAddress {
  interface: string;
  address: string;
  family: 'IPv4' | 'IPv6';
  internal: boolean;
}

export interface HubAddresses {
  hostname: string;
  addresses: HubAddress[];
}
