/**
 * What every gateway connection shares: settings, admission, recording, counters. It
 * knows nothing of the connections themselves (connection.ts depends on it, not back).
 */
import type { RateLimitedLog } from '@picolink/net';
import type { HelloAdmission } from './admission.js';
import type { DevicePresence } from '../state/presence.js';
import type { EventRecorder } from '../state/event-recorder.js';

export interface GatewayLimits {
  /** Close a connection that sends no hello within this many ms. Default 10000. */
  helloTimeoutMs: number;
  /** Time allowed for a device to answer one of the hub's requests, ms. Default 10000. */
  requestTimeoutMs: number;
  /** Largest frame accepted from (and sent to) a device, bytes. Default 65536. */
  maxFrameBytes: number;
  /** A device whose unread output passes this many bytes is dropped. Default 1 MiB. */
  maxOutputBytes: number;
  /** Requests one device may have waiting (sent or queued) before more are refused. Default 1024. */
  maxPendingRequests: number;
  /** Frames read from one device per second; beyond it reading slows down. Default 1000. */
  maxFramesPerSecond: number;
  /** After the hub ends a connection, time before the socket is destroyed, ms. Default 1000. */
  closeGraceMs: number;
  /** Most connections at once; when full, the oldest one still without a hello is evicted for a newcomer, else the newcomer is closed. Default 50000. */
  maxConnections: number;
  /**
   * Most connections that have not completed their hello at once; past it the oldest of
   * them is evicted (closing event PL_ERR_TOO_MANY_CLIENTS), so idle sockets cannot keep
   * devices out. Default 1024.
   */
  maxPendingHellos: number;
}

export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = {
  helloTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  maxFrameBytes: 64 * 1024,
  maxOutputBytes: 1024 * 1024,
  maxPendingRequests: 1024,
  maxFramesPerSecond: 1000,
  closeGraceMs: 1000,
  maxConnections: 50_000,
  maxPendingHellos: 1024,
};

/** Totals since the gateway started. */
export interface GatewayCounters {
  accepted: number;
  welcomed: number;
  unauthorized: number;
  unknownDevices: number;
  /** Hellos that were malformed, or first frames that were not a hello. */
  badHellos: number;
  helloTimeouts: number;
  /** Unreadable frames (bad JSON, not an object, not UTF-8, malformed events). */
  badFrames: number;
  oversizeFrames: number;
  /** Times a device was slowed down for sending too many frames. */
  throttled: number;
  /** Links closed after three heartbeats of silence. */
  halfOpen: number;
  slowConsumers: number;
  /** Responses that matched no request (late, after a timeout). */
  unmatchedResponses: number;
  /** Connections closed because maxConnections were open. */
  overCapacity: number;
  /** Connections without a hello evicted to make room for newer ones. */
  evictedBeforeHello: number;
  /** Connections closed because handling them threw (PL_ERR_INTERNAL). */
  internalErrors: number;
}

export function emptyCounters(): GatewayCounters {
  return {
    accepted: 0,
    welcomed: 0,
    unauthorized: 0,
    unknownDevices: 0,
    badHellos: 0,
    helloTimeouts: 0,
    badFrames: 0,
    oversizeFrames: 0,
    throttled: 0,
    halfOpen: 0,
    slowConsumers: 0,
    unmatchedResponses: 0,
    overCapacity: 0,
    evictedBeforeHello: 0,
    internalErrors: 0,
  };
}

export interface GatewayContext {
  readonly heartbeatMs: number;
  readonly options: GatewayLimits;
  readonly admission: HelloAdmission;
  readonly presence: DevicePresence;
  readonly events: EventRecorder;
  readonly log: RateLimitedLog;
  readonly counters: GatewayCounters;
}
