/**
 * The hub's storage interface. SQLite (store/sqlite.ts) is the embedded default; other
 * implementations (PostgreSQL) plug in behind the same interface and must pass the
 * contract suite in test/store-contract.ts. Every method is async so that a network
 * database fits; times are Unix milliseconds.
 */

/** How the hub reaches a device. */
export type DeviceMode = 'dial-home' | 'server' | 'telemetry';

export interface DeviceRecord {
  id: string;
  mode: DeviceMode;
  /** "host:port" the device was last seen at. */
  address: string | null;
  firmware: string | null;
  /** Last known resource info (get_info), as JSON. */
  info: Record<string, unknown> | null;
  firstSeen: number;
  lastSeen: number;
}

/** Fields to record about a device; absent fields keep their stored value. */
export interface DeviceUpsert {
  id: string;
  mode: DeviceMode;
  address?: string | null;
  firmware?: string | null;
  info?: Record<string, unknown> | null;
  seenAt: number;
}

export interface SessionRecord {
  id: number;
  deviceId: string;
  mode: DeviceMode;
  address: string | null;
  openedAt: number;
  closedAt: number | null;
  closeReason: string | null;
}

/** Which datagram a reading came in: its device's boot and sequence number. */
export interface TelemetryDatagramKey {
  boot: number;
  seq: number;
}

export interface TelemetryRow {
  deviceId: string;
  metric: string;
  /** Unix ms: the device's time when it knew it, else the hub's receive time. */
  time: number;
  value: number;
  /**
   * The datagram the reading came in (the rows of one datagram share one object). A store
   * shared by several hubs (PostgreSQL) stores a datagram's readings once, however many
   * hubs receive it; the SQLite store, one hub's alone, ignores it. Absent: always stored.
   */
  datagram?: TelemetryDatagramKey;
}

export interface TelemetryQuery {
  deviceId: string;
  /** One metric, or all when absent. */
  metric?: string;
  /** Inclusive start, Unix ms. */
  from: number;
  /** Exclusive end, Unix ms. */
  to: number;
  /** At most this many rows (raw queries); default 10,000. */
  limit?: number;
}

export interface TelemetryBucket {
  metric: string;
  /** Start of the bucket, Unix ms (a multiple of bucketMs). */
  time: number;
  count: number;
  min: number;
  max: number;
  avg: number;
}

export interface HubEventRecord {
  id?: number;
  deviceId: string;
  /** e.g. "pin_change", "online", "offline", "state_reapplied", "telemetry_rejected". */
  type: string;
  time: number;
  /** Device clock (ms since the device started), when the event came from the device. */
  deviceTime?: number | null;
  data: Record<string, unknown>;
}

export interface AuditRecord {
  id?: number;
  time: number;
  /** Who asked: "api:<token name>", "hub" (re-applied state), ... */
  actor: string;
  deviceId: string;
  action: string;
  request: Record<string, unknown>;
  /** "ok", or the error code. */
  result: string;
  response: Record<string, unknown> | null;
}

/** An output the hub set and re-applies when the device comes back. */
export interface OutputState {
  deviceId: string;
  pin: number | 'LED';
  /** Last setup_pin request (fields as sent, without id). */
  setup: Record<string, unknown> | null;
  /** Last write_pin without a lease, or null. */
  value: 0 | 1 | null;
  /** Unix ms at which a pending lease ends, and the level it reverts to; null without a lease. */
  leaseUntil: number | null;
  leaseValue: 0 | 1 | null;
  /** Level written for the lease. */
  leaseWrite: 0 | 1 | null;
  updatedAt: number;
}

/** A device added through the API (POST /api/devices), with what the hub checks it by. */
export interface ManagedDeviceRecord {
  id: string;
  /** SHA-256 of its hello token, lower-case hex (the token itself is never kept). */
  tokenHash: string;
  /** Its telemetry HMAC key, as given to the device (the hub signs and checks with it). */
  telemetryKey: string;
  /** Unix ms at which these credentials were drawn (added or rotated). */
  createdAt: number;
}

/** A message saved in the network tools page, sent again with one click. */
export interface SavedMessageRecord {
  /** Drawn by the hub when saved (letters and digits). */
  id: string;
  name: string;
  /** As typed: text, or hex digits when `encoding` is "hex". */
  data: string;
  encoding: 'text' | 'hex';
  /** Line ending added when sent. */
  ending: 'none' | 'lf' | 'crlf' | 'nul';
  createdAt: number;
}

export interface RetentionResult {
  telemetry: number;
  events: number;
  audit: number;
  sessions: number;
}

export interface HubStore {
  upsertDevice(device: DeviceUpsert): Promise<void>;
  getDevice(id: string): Promise<DeviceRecord | undefined>;
  listDevices(): Promise<DeviceRecord[]>;

  openSession(session: { deviceId: string; mode: DeviceMode; address: string | null; openedAt: number }): Promise<number>;
  closeSession(id: number, closedAt: number, reason: string): Promise<void>;
  listSessions(deviceId: string, limit?: number): Promise<SessionRecord[]>;

  /**
   * Inserts many rows in one transaction. Rows with a `datagram` key are left out when a
   * store shared by several hubs already holds that datagram; such a store may commit a
   * batch of keyed rows in parts, each datagram's rows all or none (so a batch must not
   * split a datagram), and a retry stores none of them twice.
   */
  insertTelemetry(rows: readonly TelemetryRow[]): Promise<void>;
  queryTelemetry(query: TelemetryQuery): Promise<TelemetryRow[]>;
  /** min/max/avg per metric per bucket of `bucketMs`, buckets aligned to multiples of bucketMs. */
  bucketTelemetry(query: TelemetryQuery & { bucketMs: number }): Promise<TelemetryBucket[]>;
  /** Metric names a device has telemetry for. */
  listMetrics(deviceId: string): Promise<string[]>;

  insertEvents(events: readonly HubEventRecord[]): Promise<void>;
  listEvents(query: { deviceId?: string; type?: string; from?: number; to?: number; limit?: number }): Promise<HubEventRecord[]>;

  insertAudit(record: AuditRecord): Promise<void>;
  listAudit(query: { deviceId?: string; from?: number; to?: number; limit?: number }): Promise<AuditRecord[]>;

  saveOutputState(state: OutputState): Promise<void>;
  loadOutputStates(deviceId: string): Promise<OutputState[]>;
  /** `loadOutputStates` of many devices in one query, one list per id in their order. */
  loadOutputStatesOf(deviceIds: readonly string[]): Promise<OutputState[][]>;
  deleteOutputState(deviceId: string, pin: number | 'LED'): Promise<void>;

  /** Devices added through the API, sorted by id. */
  listManagedDevices(): Promise<ManagedDeviceRecord[]>;
  /** Stores a new managed device; PL_ERR_DEVICE_EXISTS when the id is stored already. */
  addManagedDevice(device: ManagedDeviceRecord): Promise<void>;
  /** Replaces a managed device's credentials; false when the id is not stored. */
  updateManagedDevice(device: ManagedDeviceRecord): Promise<boolean>;
  /** Forgets a managed device's credentials (not its telemetry or history); false when not stored. */
  removeManagedDevice(id: string): Promise<boolean>;
  /**
   * Forgets a device the hub no longer serves: its record (so it is no longer listed) and
   * the outputs kept for it. Its telemetry, events, audit records and sessions stay.
   */
  forgetDevice(id: string): Promise<void>;

  /** Saved network tools messages, oldest first (by createdAt, then id). */
  listSavedMessages(): Promise<SavedMessageRecord[]>;
  /** Stores a saved message (ids are unique; a second add of an id replaces it). */
  addSavedMessage(message: SavedMessageRecord): Promise<void>;
  /** Forgets a saved message; false when the id is not stored. */
  removeSavedMessage(id: string): Promise<boolean>;

  /** Deletes telemetry, events, audit records and closed sessions older than `before` (Unix ms). */
  applyRetention(before: number): Promise<RetentionResult>;
  close(): Promise<void>;
}
