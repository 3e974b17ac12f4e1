/**
 * Telemetry queries from the query string, shared by the JSON and CSV routes: which
 * metric, which time range, raw rows or buckets of `bucket` width.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { TelemetryQuery } from '../store/store.js';
import { parseDuration, parseIntParam, parseMetric, parseTimeRange, single } from './query.js';
import type { RawQuery } from './query.js';

/** JSON queries without `from` cover the last hour. */
export const DEFAULT_SPAN_MS = 3_600_000;
/** Most buckets one query may ask for per metric. */
export const MAX_BUCKETS = 10_000;
/** Default and largest number of raw rows or buckets in one JSON answer. */
export const DEFAULT_ROW_LIMIT = 10_000;
export const MAX_ROW_LIMIT = 100_000;

/** A store query with its limit, and for buckets their width in ms (absent for raw rows). */
export interface TelemetryRequest extends TelemetryQuery {
  limit: number;
  bucketMs?: number;
}

/** Parses metric, from, to, bucket and limit. `defaultSpanMs` null: from defaults to the beginning. */
export function parseTelemetryRequest(deviceId: string, query: RawQuery, defaultSpanMs: number | null, now = Date.now()): TelemetryRequest {
  const range = parseTimeRange(query, defaultSpanMs, now);
  const request: TelemetryRequest = { deviceId, ...range, limit: parseIntParam(query, 'limit', DEFAULT_ROW_LIMIT, 1, MAX_ROW_LIMIT) };
  const metric = parseMetric(query);
  if (metric !== undefined) request.metric = metric;
  const bucketText = single(query, 'bucket');
  if (bucketText !== undefined) {
    const bucketMs = parseDuration('bucket', bucketText);
    if (bucketMs < 1) throw new PicolinkError(ErrorCode.OUT_OF_RANGE, '"bucket" must be at least 1 ms');
    const buckets = Math.ceil((range.to - range.from) / bucketMs);
    if (buckets > MAX_BUCKETS) {
      throw new PicolinkError(
        ErrorCode.OUT_OF_RANGE,
        `"bucket" ${bucketText} splits the range into ${buckets} buckets, more than ${MAX_BUCKETS}; use a wider bucket or a shorter range`,
      );
    }
    request.bucketMs = bucketMs;
  }
  return request;
}
