/**
 * Request and response types of the SDK, derived from the protocol's action table with
 * every field name in camelCase (wire-names.ts maps them).
 */
import type { ActionName, DeviceInfo as WireDeviceInfo, RequestFields, RequestId, ResultFields } from '@picolink/protocol';
import type { Camelized } from './wire-names.js';

/**
 * Fields of a request as a caller may pass them, in camelCase (`safeAfterMs`,
 * `debounceMs`, `timeMs`): any subset; the device fills defaults and validates.
 */
export type RequestInput<A extends ActionName> = Partial<Camelized<RequestFields[A]>>;

/** An action's result fields in camelCase; actions without results add nothing. */
export type ResultOf<A extends ActionName> = ResultFields[A] extends Record<string, never> ? unknown : Camelized<ResultFields[A]>;

/** A success response: the echoed request, `ok`, `timeReceived` and the action's results, in camelCase. */
export type ActionResponse<A extends ActionName> = ResultOf<A> & {
  action: A;
  /** true from a picolink device; absent from a piconetcontrol server. */
  ok?: true;
  id?: RequestId;
  /** Device clock when the request arrived, ns since the Unix epoch (wire `time_received`). */
  timeReceived?: number;
  [field: string]: unknown;
};

/**
 * Resources a picolink device reports (get_info): `memFree`, `memAlloc` (bytes),
 * `uptimeMs`, `board`, `platform`, `firmware`, `protocol`, `capabilities`, `rssi` (dBm,
 * null without WiFi), `pins`, `lastUpdate` (`status`: "none", "ok" or "rolledBack") and
 * `deviceId` when the device has one.
 */
export type DeviceInfo = Camelized<Omit<WireDeviceInfo, 'last_update'>> & {
  lastUpdate: { status: 'none' | 'ok' | 'rolledBack'; files: string[] };
};

/** Options of a single request. */
export interface CallOptions {
  /** Time allowed for the answer after the request is sent, in ms. Default: the connection's timeoutMs. */
  timeoutMs?: number;
}
