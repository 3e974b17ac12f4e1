/**
 * Query-string parameters of the API, parsed once at the edge into typed values. Bad
 * values get the protocol's coded errors (PL_ERR_BAD_TYPE, PL_ERR_OUT_OF_RANGE) naming
 * the parameter.
 */
import { DEVICE_ID_PATTERN, ErrorCode, PicolinkError } from '@picolink/protocol';

/** Raw query values as fastify parses them. */
export type RawQuery = Record<string, string | string[] | undefined>;

/** A metric name (docs/protocol.md#telemetry-datagram). */
export const METRIC_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Latest time accepted (year 9999), so arithmetic on times stays exact. */
const MAX_TIME_MS = 253_402_300_799_999;

export interface TimeRange {
  /** Inclusive, Unix ms. */
  from: number;
  /** Exclusive, Unix ms. */
  to: number;
}

/** One value of a parameter; a repeated parameter is an error. */
export function single(query: RawQuery, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new PicolinkError(ErrorCode.BAD_TYPE, `query parameter "${name}" is given more than once; give it once`);
  return value === undefined || value === '' ? undefined : value;
}

/** A duration: whole milliseconds ("60000") or a number with a unit ("500ms", "10s", "5m", "1h", "1d"). */
export function parseDuration(name: string, text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new PicolinkError(ErrorCode.BAD_TYPE, `"${name}" must be a duration such as 60000, 10s, 5m or 1h, got "${text}"`);
  const ms = Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1));
  if (!Number.isSafeInteger(ms)) throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `"${name}" is too long: "${text}"`);
  return ms;
}

/**
 * A point in time: Unix ms ("1700000000000"), an ISO 8601 date ("2024-05-01T12:00:00Z"),
 * "now", or a time before now ("-15m", "-1h", "-7d").
 */
export function parseTime(name: string, text: string, now: number): number {
  const trimmed = text.trim();
  let ms: number;
  if (trimmed === 'now') ms = now;
  else if (/^\d+$/.test(trimmed)) ms = Number(trimmed);
  else if (trimmed.startsWith('-')) ms = now - parseDuration(name, trimmed.slice(1));
  else if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) ms = Date.parse(trimmed);
  else ms = NaN;
  if (!Number.isFinite(ms)) {
    throw new PicolinkError(ErrorCode.BAD_TYPE, `"${name}" must be Unix milliseconds, an ISO 8601 date, "now" or a time ago like -1h, got "${text}"`);
  }
  if (ms < 0 || ms > MAX_TIME_MS) throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `"${name}" is outside the years 1970 to 9999: "${text}"`);
  return ms;
}

/** `from` and `to`; `to` defaults to now and `from` to `to - defaultSpanMs` (0 when the span is null). */
export function parseTimeRange(query: RawQuery, defaultSpanMs: number | null, now = Date.now()): TimeRange {
  const toText = single(query, 'to');
  const fromText = single(query, 'from');
  const to = toText === undefined ? now : parseTime('to', toText, now);
  const from = fromText === undefined ? (defaultSpanMs === null ? 0 : Math.max(0, to - defaultSpanMs)) : parseTime('from', fromText, now);
  if (from >= to) throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `"from" (${from}) must be before "to" (${to})`);
  return { from, to };
}

/** An optional time range: only the bounds given. */
export function parseOptionalTimeRange(query: RawQuery, now = Date.now()): Partial<TimeRange> {
  const range: Partial<TimeRange> = {};
  const fromText = single(query, 'from');
  const toText = single(query, 'to');
  if (fromText !== undefined) range.from = parseTime('from', fromText, now);
  if (toText !== undefined) range.to = parseTime('to', toText, now);
  if (range.from !== undefined && range.to !== undefined && range.from >= range.to) {
    throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `"from" (${range.from}) must be before "to" (${range.to})`);
  }
  return range;
}

/** A whole number from `min` to `max`, or the default. */
export function parseIntParam(query: RawQuery, name: string, fallback: number, min: number, max: number): number {
  const text = single(query, name);
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new PicolinkError(ErrorCode.BAD_TYPE, `"${name}" must be a whole number, got "${text}"`);
  if (n < min || n > max) throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `"${name}" must be from ${min} to ${max}, got ${n}`);
  return n;
}

/** An optional metric name. */
export function parseMetric(query: RawQuery): string | undefined {
  const metric = single(query, 'metric');
  if (metric !== undefined && !METRIC_PATTERN.test(metric)) {
    throw new PicolinkError(ErrorCode.BAD_TYPE, `"metric" must be a metric name (1-64 of A-Z a-z 0-9 _ . : -), got "${metric}"`);
  }
  return metric;
}

/** A comma-separated list of device ids (`device=a,b`), or undefined for all devices. */
export function parseDeviceList(query: RawQuery, name = 'device'): string[] | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  const ids = (Array.isArray(raw) ? raw : [raw]).flatMap((part) => part.split(',')).map((id) => id.trim()).filter((id) => id !== '');
  if (ids.length === 0) return undefined;
  for (const id of ids) {
    if (!DEVICE_ID_PATTERN.test(id)) throw new PicolinkError(ErrorCode.BAD_TYPE, `"${name}" must list device ids (1-64 of A-Z a-z 0-9 _ . -), got "${id}"`);
  }
  return ids;
}

/** An optional device id (`device=pico-1`). */
export function parseDeviceId(query: RawQuery, name = 'device'): string | undefined {
  const id = single(query, name);
  if (id !== undefined && !DEVICE_ID_PATTERN.test(id)) throw new PicolinkError(ErrorCode.BAD_TYPE, `"${name}" must be a device id, got "${id}"`);
  return id;
}

/** An optional event type (`type=pin_change`). */
export function parseEventType(query: RawQuery): string | undefined {
  const type = single(query, 'type');
  if (type !== undefined && !/^[a-z][a-z0-9_]{0,63}$/.test(type)) {
    throw new PicolinkError(ErrorCode.BAD_TYPE, `"type" must be an event type such as pin_change or online, got "${type}"`);
  }
  return type;
}
