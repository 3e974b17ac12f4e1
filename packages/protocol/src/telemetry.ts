/**
 * Telemetry datagrams (docs/protocol.md#telemetry): one JSON object per UDP datagram.
 *
 * Authentication is byte-exact and needs no canonical JSON: the sender serialises the
 * datagram without `mac`, computes HMAC-SHA256 over exactly those bytes with the
 * device's key, and inserts `,"mac":"<hex>"` before the final `}`. The receiver cuts that
 * suffix off again to recover the signed bytes. HMAC itself is injected, so this module
 * stays free of I/O and platform crypto.
 */
import { ErrorCode, PicolinkError } from './errors.js';
import { MAX_DATAGRAM_BYTES } from './version.js';
import { parseBoundedJson } from './json-limits.js';

const TELEMETRY_JSON_LIMITS = { maxDepth: 4, maxValues: 256 };

export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const METRIC_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAC_SUFFIX = /,"mac":"([0-9a-f]{64})"\}$/;
const MAX_READINGS = 64;
const TELEMETRY_FIELDS: ReadonlySet<string> = new Set(['v', 'device', 'boot', 'seq', 't', 'time', 'readings', 'ack', 'mac']);
const ACK_FIELDS: ReadonlySet<string> = new Set(['v', 'device', 'boot', 'ack', 'mac']);

export interface TelemetryDatagram {
  v: 1;
  /** Device id. */
  device: string;
  /** Random number drawn at each start, so a restart's sequence numbers are not replays. */
  boot: number;
  /** Sequence number, +1 per new datagram within a boot; a resend keeps its number. */
  seq: number;
  /** Device clock: ms since the device started. */
  t: number;
  /** Unix time in ms, when the device's clock has been set. */
  time?: number;
  /** Metric name → value. */
  readings: Record<string, number>;
  /** Ask the receiver to acknowledge this datagram. */
  ack?: boolean;
}

export interface TelemetryAck {
  v: 1;
  device: string;
  boot: number;
  /** Sequence number acknowledged. */
  ack: number;
}

/** HMAC-SHA256 of a UTF-8 text, as lowercase hex. */
export type TextSigner = (text: string) => string;
/** Returns the key-holder's HMAC of `text` for `device`, or undefined when it has no key. */
export type MacLookup = (device: string, text: string) => string | undefined;

function malformed(detail: string): PicolinkError {
  return new PicolinkError(ErrorCode.TELEMETRY_MALFORMED, `malformed telemetry datagram: ${detail}`);
}

function attachMac(text: string, sign?: TextSigner): string {
  if (!sign) return text;
  return `${text.slice(0, -1)},"mac":"${sign(text)}"}`;
}

/** Serialises a datagram, signed when `sign` is given. */
export function encodeTelemetry(datagram: TelemetryDatagram, sign?: TextSigner): string {
  return attachMac(JSON.stringify(datagram), sign);
}

/** Serialises an acknowledgement, signed when `sign` is given. */
export function encodeTelemetryAck(ack: TelemetryAck, sign?: TextSigner): string {
  return attachMac(JSON.stringify(ack), sign);
}

export interface ParsedDatagram<T> {
  message: T;
  /** True when the datagram carried a MAC and it matched. */
  authenticated: boolean;
}

/**
 * Splits off and checks the MAC. With a key for the device, a datagram without a valid
 * MAC is rejected (`PL_ERR_TELEMETRY_BAD_MAC`); without a key, any MAC is ignored.
 */
function checkMac(text: string, device: string, macFor: MacLookup | undefined): boolean {
  const match = MAC_SUFFIX.exec(text);
  const signed = match ? `${text.slice(0, match.index)}}` : text;
  const expected = macFor?.(device, signed);
  if (expected === undefined) return false;
  if (!match || !constantTimeEqual(match[1] ?? '', expected)) {
    throw new PicolinkError(ErrorCode.TELEMETRY_BAD_MAC, `telemetry from "${device}" has a missing or wrong MAC; check the device key`);
  }
  return true;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function parseObject(text: string, allowed: ReadonlySet<string>): Record<string, unknown> {
  if (text.length > MAX_DATAGRAM_BYTES) throw malformed(`larger than ${MAX_DATAGRAM_BYTES} bytes`);
  let value: unknown;
  try {
    // A datagram holds at most 64 readings and a MAC: flat, two levels deep.
    value = parseBoundedJson(text, TELEMETRY_JSON_LIMITS);
  } catch (err) {
    throw malformed(err instanceof PicolinkError && err.code === ErrorCode.JSON_TOO_COMPLEX ? 'nested too deep or too many values' : 'not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw malformed('not a JSON object');
  const obj = value as Record<string, unknown>;
  if (obj.v !== 1) throw malformed('"v" must be 1');
  for (const key of Object.keys(obj)) if (!allowed.has(key)) throw malformed(`unknown field "${key}"`);
  if (typeof obj.device !== 'string' || !DEVICE_ID_PATTERN.test(obj.device)) throw malformed('"device" must be an id of 1-64 letters, digits, "_", "-", "."');
  if (!isUint(obj.boot, 0xffffffff)) throw malformed('"boot" must be an integer 0-4294967295');
  return obj;
}

function isUint(value: unknown, max = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

/** Parses and validates a telemetry datagram (already decoded as UTF-8 text). */
export function parseTelemetry(text: string, macFor?: MacLookup): ParsedDatagram<TelemetryDatagram> {
  const obj = parseObject(text, TELEMETRY_FIELDS);
  if (!isUint(obj.seq)) throw malformed('"seq" must be a non-negative integer');
  if (!isUint(obj.t)) throw malformed('"t" must be a non-negative integer (ms)');
  if (obj.time !== undefined && !isUint(obj.time)) throw malformed('"time" must be Unix time in ms');
  if (obj.ack !== undefined && typeof obj.ack !== 'boolean') throw malformed('"ack" must be true or false');
  const readings = obj.readings;
  if (readings === null || typeof readings !== 'object' || Array.isArray(readings)) throw malformed('"readings" must be an object');
  const names = Object.keys(readings);
  if (names.length === 0 || names.length > MAX_READINGS) throw malformed(`"readings" must hold 1-${MAX_READINGS} values`);
  for (const name of names) {
    if (!METRIC_PATTERN.test(name)) throw malformed(`bad metric name ${JSON.stringify(name.slice(0, 64))}`);
    const value = (readings as Record<string, unknown>)[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw malformed(`reading "${name}" must be a finite number`);
  }
  const authenticated = checkMac(text, obj.device as string, macFor);
  delete obj.mac;
  return { message: obj as unknown as TelemetryDatagram, authenticated };
}

/** Parses and validates a telemetry acknowledgement. */
export function parseTelemetryAck(text: string, macFor?: MacLookup): ParsedDatagram<TelemetryAck> {
  const obj = parseObject(text, ACK_FIELDS);
  if (!isUint(obj.ack)) throw malformed('"ack" must be a sequence number');
  const authenticated = checkMac(text, obj.device as string, macFor);
  delete obj.mac;
  return { message: obj as unknown as TelemetryAck, authenticated };
}
