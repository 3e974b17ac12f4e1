/**
 * The bounds both stores put on a query before running it: list limits for events, audit
 * records and sessions, and the range and limit of a telemetry query.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { TelemetryQuery } from './store.js';

/** Default and largest `limit` for event, audit and session listings. */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 100_000;

/** Default and largest `limit` for telemetry rows and buckets. */
export const DEFAULT_TELEMETRY_LIMIT = 10_000;
export const MAX_TELEMETRY_LIMIT = 1_000_000;

/** A list limit: a whole number 1..MAX_LIST_LIMIT, or the default when absent. */
export function checkListLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, not ${String(limit)}`);
  }
  return limit;
}

/** A telemetry query checked: device, metric or all, [from, to) in Unix ms, row limit. */
export interface TelemetryRange {
  deviceId: string;
  metric: string | null;
  from: number;
  to: number;
  limit: number;
}

export function checkRange(query: TelemetryQuery): TelemetryRange {
  if (typeof query.deviceId !== 'string') throw new PicolinkError(ErrorCode.BAD_TYPE, 'deviceId must be a string');
  if (!Number.isFinite(query.from) || !Number.isFinite(query.to)) {
    throw new PicolinkError(ErrorCode.OUT_OF_RANGE, 'from and to must be Unix times in ms');
  }
  const limit = query.limit ?? DEFAULT_TELEMETRY_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_TELEMETRY_LIMIT) {
    throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `limit must be a whole number from 1 to ${MAX_TELEMETRY_LIMIT}, not ${String(limit)}`);
  }
  return { deviceId: query.deviceId, metric: query.metric ?? null, from: query.from, to: query.to, limit };
}
