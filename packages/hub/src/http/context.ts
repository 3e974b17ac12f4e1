/**
 * What the HTTP API works with: the hub's parts, handed in by startHub (hub.ts), and the
 * API's own limits. Each route file takes this context and nothing else.
 */
import type { HubBus } from '../bus.js';
import type { HubConfig } from '../config.js';
import type { DeviceCredentials } from '../credentials.js';
import type { DeviceDirectory } from '../directory.js';
import type { HubStore } from '../store/store.js';
import type { HealthMqtt, TelemetryStats } from '../api-types.js';
import type { TelemetryWriterCounters } from '../telemetry/writer.js';

/** Receives one log line (no trailing newline). */
export type HubLog = (line: string) => void;

/**
 * Sends one protocol request (without `id`) to a device on behalf of `actor` and
 * resolves with the device's raw response, error responses included. Rejects with
 * PL_ERR_DEVICE_OFFLINE when the device is not connected, or with the link's error.
 */
export type SendCommand = (deviceId: string, request: Record<string, unknown>, actor: string) => Promise<Record<string, unknown>>;

/** Looks up a device's telemetry counters; undefined when the hub has heard none. */
export type TelemetryStatsLookup = (deviceId: string) => TelemetryStats | undefined;

export interface ApiLimits {
  /** Most commands in one POST /api/devices/:id/commands. Default 100. */
  maxCommandsPerRequest: number;
  /** Largest request body, in bytes. Default 1 MiB. */
  bodyLimitBytes: number;
  /** Bytes queued for one live-stream client before it is dropped as too slow. Default 1 MiB. */
  maxStreamBufferedBytes: number;
  /** Most live-stream clients at once. Default 200. */
  maxStreamClients: number;
  /** Most hub:// device links at once. Default 200. */
  maxDeviceLinks: number;
  /** Requests one hub:// link may have waiting for the device. Default 256. */
  maxLinkInFlight: number;
  /** Ping interval for WebSocket clients; one missed pong closes the socket. 0 disables. Default 30000. */
  webSocketPingMs: number;
  /** Dashboard sessions end after this long without a request, in ms. Default 12 h. */
  sessionIdleMs: number;
  /** Wrong tokens one address may send to POST /api/session in a row before 429. Default 5. */
  signInBurst: number;
  /** One more sign-in attempt per this many ms. Default 2000. */
  signInRefillMs: number;
  /** A wrong sign-in token is answered after this many ms. Default 250. */
  signInDelayMs: number;
}

export const DEFAULT_API_LIMITS: ApiLimits = {
  maxCommandsPerRequest: 100,
  bodyLimitBytes: 1024 * 1024,
  maxStreamBufferedBytes: 1024 * 1024,
  maxStreamClients: 200,
  maxDeviceLinks: 200,
  maxLinkInFlight: 256,
  webSocketPingMs: 30_000,
  sessionIdleMs: 12 * 60 * 60 * 1000,
  signInBurst: 5,
  signInRefillMs: 2000,
  signInDelayMs: 250,
};

export interface ApiContext {
  readonly config: HubConfig;
  readonly store: HubStore;
  readonly directory: DeviceDirectory;
  /** Devices of the configuration and those added through the API, with their secrets. */
  readonly credentials: DeviceCredentials;
  readonly bus: HubBus;
  /** The bearer token every request must carry, or null when auth is off. */
  readonly token: string | null;
  readonly sendCommand: SendCommand;
  readonly telemetryStats: TelemetryStatsLookup;
  /** The telemetry store writer's counters now, for the health route. */
  readonly telemetryWriter: () => TelemetryWriterCounters;
  readonly limits: ApiLimits;
  readonly log: HubLog;
  /** Log lines clients can trigger at will, through a per-kind budget so they cannot flood the log. */
  readonly logLimited: (kind: string, line: string) => void;
  /** Ports of the dial-home gateway and the telemetry socket, for the agent configurations the API hands out. */
  readonly ports: { gateway: number; telemetry: number };
  /** Hub version reported by the health route. */
  readonly version: string;
  /** Unix ms at which the hub started. */
  readonly startedAt: number;
  /** The MQTT bridge's counters now, for the health route; absent or null without a bridge. */
  readonly mqttStats?: () => HealthMqtt | null;
}
