/** The JSON shapes of the hub's API that the page reads: the hub's own (docs/hub.md#http-api). */
import type { HealthMqtt, HealthTelemetry, StreamEvent } from '@picolink/hub/api-types';

export type {
  AuditRecord,
  DeviceDetail,
  DeviceView,
  StreamMessage,
  TelemetryBucket,
  TelemetryPoint as TelemetryRow,
} from '@picolink/hub/api-types';

/** An event from GET /api/devices/:id/events (which adds `id` and `deviceId`) or the live stream. */
export type HubEvent = StreamEvent & { id?: number; deviceId?: string };

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

/** GET /api/health as the fleet page reads it (docs/hub.md#get-apihealth). */
export interface HubHealth {
  hubId: string;
  telemetry: HealthTelemetry;
  /** Null when the hub runs without an MQTT bridge. */
  mqtt: HealthMqtt | null;
}
