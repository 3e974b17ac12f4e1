/** The JSON shapes of the hub's API that the page reads (docs/hub.md#http-api). */

export type DeviceMode = 'dial-home' | 'server' | 'telemetry';

export interface TelemetryCounters {
  received: number;
  accepted: number;
  duplicates: number;
  lost: number;
  ratePerSecond: number;
  lastSeen: number;
  loss: number;
}

export interface DeviceView {
  id: string;
  online: boolean;
  mode: DeviceMode;
  address: string | null;
  lastSeen: number | null;
  connectedAt: number | null;
  firmware: string | null;
  protocol: number | null;
  capabilities: string[];
  rssi: number | null;
  memory: { free: number; alloc: number } | null;
  uptimeMs: number | null;
  telemetry: TelemetryCounters | null;
  configured: boolean;
  managed?: boolean;
}

export interface DeviceDetail {
  device: DeviceView;
  metrics: string[];
}

export interface TelemetryRow {
  metric: string;
  time: number;
  value: number;
}

export interface TelemetryBucket {
  metric: string;
  time: number;
  count: number;
  min: number;
  max: number;
  avg: number;
}

export interface HubEvent {
  id?: number;
  deviceId?: string;
  type: string;
  time: number;
  deviceTime?: number | null;
  data: Record<string, unknown>;
}

export interface AuditRecord {
  id: number;
  time: number;
  actor: string;
  deviceId: string;
  action: string;
  request: Record<string, unknown>;
  result: string;
  response: Record<string, unknown> | null;
}

/** A device's response to one command: its own fields, `ok`, and `error`/`code` on failure. */
export interface CommandResponse {
  ok?: boolean;
  error?: string;
  code?: string;
  [field: string]: unknown;
}

/** What POST /api/devices and the token rotation answer: the secrets, shown once. */
export interface DeviceCredentials {
  id: string;
  token: string;
  telemetryKey: string;
  config: Record<string, unknown>;
}

/** Messages of GET /api/stream. */
export type StreamMessage =
  | { type: 'subscribed'; devices: string[] | null; types: string[] }
  | { type: 'telemetry'; device: string; rows: TelemetryRow[] }
  | { type: 'event'; device: string; event: HubEvent }
  | { type: 'status'; device: string; online: boolean; time: number };
