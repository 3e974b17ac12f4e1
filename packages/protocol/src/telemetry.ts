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
import type { ErrorCodeValue } from './errors.js';
import { MAX_DATAGRAM_BYTES } from './version.js';
import { jsonLimitExcess } from './json-limits.js';

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

/** Why a datagram was refused: a code, a message for a person, and the device a bad MAC was checked against. */
export interface TelemetryFault {
  ok: false;
  code: ErrorCodeValue;
  reason: string;
  /** For `PL_ERR_TELEMETRY_BAD_MAC`: the device whose key the MAC did not match. */
  device?: string;
}

/** The outcome of {@link inspectTelemetry}: the datagram, or why it was refused. */
export type TelemetryInspection<T> = ({ ok: true } & ParsedDatagram<T>) | TelemetryFault;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const DEVICE_KEY = '"device":"';
const MAX_DEVICE_ID = 64;

function malformed(detail: string): TelemetryFault {
  return { ok: false, code: ErrorCode.TELEMETRY_MALFORMED, reason: `malformed telemetry datagram: ${detail}` };
}

// Faults that need no detail are made once: a flood of garbage allocates nothing for them.
const NOT_AN_OBJECT = malformed('not a JSON object');
const NOT_JSON = malformed('not JSON');
const TOO_LARGE = malformed(`larger than ${MAX_DATAGRAM_BYTES} bytes`);
const TOO_COMPLEX = malformed('nested too deep or too many values');
const DEVICE_TWICE = malformed('"device" must appear once');

function badMac(device: string): TelemetryFault {
  return { ok: false, code: ErrorCode.TELEMETRY_BAD_MAC, reason: `telemetry from "${device}" has a missing or wrong MAC; check the device key`, device };
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * True when the text starts with `{` and ends with `}` (JSON whitespace aside): anything
 * else cannot be a JSON object, and is refused without JSON.parse.
 */
function bracesAround(text: string): boolean {
  let first = 0;
  while (first < text.length && isJsonSpace(text.charCodeAt(first))) first++;
  let last = text.length - 1;
  while (last > first && isJsonSpace(text.charCodeAt(last))) last--;
  return last > first && text.charCodeAt(first) === OPEN_BRACE && text.charCodeAt(last) === CLOSE_BRACE;
}

/**
 * The device id written after the first `"device":"`, when it is a plain id (no escapes):
 * enough to find the device's key and check the MAC before parsing. The parsed `device`
 * must agree with it; undefined when there is no plain id to read.
 */
function scanDeviceId(text: string): string | undefined {
  const at = text.indexOf(DEVICE_KEY);
  if (at < 0) return undefined;
  const start = at + DEVICE_KEY.length;
  const end = text.indexOf('"', start);
  if (end < 0 || end - start > MAX_DEVICE_ID) return undefined;
  const id = text.slice(start, end);
  return DEVICE_ID_PATTERN.test(id) ? id : undefined;
}

/**
 * Splits off and checks the MAC: true when it matches the device's key, false when the
 * receiver has no key for the device (any MAC is then ignored), null when the device has a
 * key and the MAC is missing or wrong.
 */
function checkMac(text: string, device: string, macFor: MacLookup | undefined): boolean | null {
  if (!macFor) return false;
  const match = MAC_SUFFIX.exec(text);
  const signed = match ? `${text.slice(0, match.index)}}` : text;
  const expected = macFor(device, signed);
  if (expected === undefined) return false;
  return match !== null && constantTimeEqual(match[1] ?? '', expected) ? true : null;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function isUint(value: unknown, max = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

/** What is wrong with a parsed datagram's own fields, or undefined. */
function datagramProblem(obj: Record<string, unknown>): string | undefined {
  if (!isUint(obj.seq)) return '"seq" must be a non-negative integer';
  if (!isUint(obj.t)) return '"t" must be a non-negative integer (ms)';
  if (obj.time !== undefined && !isUint(obj.time)) return '"time" must be Unix time in ms';
  if (obj.ack !== undefined && typeof obj.ack !== 'boolean') return '"ack" must be true or false';
  const readings = obj.readings;
  if (readings === null || typeof readings !== 'object' || Array.isArray(readings)) return '"readings" must be an object';
  const names = Object.keys(readings);
  if (names.length === 0 || names.length > MAX_READINGS) return `"readings" must hold 1-${MAX_READINGS} values`;
  for (const name of names) {
    if (!METRIC_PATTERN.test(name)) return `bad metric name ${JSON.stringify(name.slice(0, 64))}`;
    const value = (readings as Record<string, unknown>)[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) return `reading "${name}" must be a finite number`;
  }
  return undefined;
}

function ackProblem(obj: Record<string, unknown>): string | undefined {
  return isUint(obj.ack) ? undefined : '"ack" must be a sequence number';
}

/** Where a datagram sits in its device's stream, as read by {@link peekTelemetry}. */
export interface TelemetryPosition {
  device: string;
  boot: number;
  seq: number;
}

/** The plain unsigned integer written after the first `"name":`, or undefined. */
function scanUint(text: string, key: string): number | undefined {
  const at = text.indexOf(key);
  if (at < 0) return undefined;
  let end = at + key.length;
  const start = end;
  while (end < text.length && end - start <= 16) {
    const c = text.charCodeAt(end);
    if (c < 0x30 || c > 0x39) break;
    end++;
  }
  if (end === start || end - start > 16) return undefined;
  const value = Number(text.slice(start, end));
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * The device, boot and sequence number of a datagram, read straight from its bytes (the
 * first `"device":"`, `"boot":` and `"seq":`, plain values only) without parsing or
 * checking anything. Nothing read here is trusted: a receiver uses it only to refuse, before
 * it pays for the MAC and the parse, a datagram it would refuse anyway (a sequence number
 * older than every one it still remembers). Undefined when the three cannot be read.
 */
export function peekTelemetry(text: string): TelemetryPosition | undefined {
  const device = scanDeviceId(text);
  if (device === undefined) return undefined;
  const boot = scanUint(text, '"boot":');
  const seq = scanUint(text, '"seq":');
  if (boot === undefined || seq === undefined) return undefined;
  return { device, boot, seq };
}

/**
 * The checks, cheapest first, with no exception on the way: size; braces around the
 * text; the MAC, when the device id can be read from the bytes and the receiver has its
 * key (so a forgery costs one HMAC and no parse); JSON shape limits; JSON.parse; the
 * fields; the MAC, when it could not be checked before.
 */
function inspect<T>(text: string, allowed: ReadonlySet<string>, problem: (obj: Record<string, unknown>) => string | undefined, macFor: MacLookup | undefined): TelemetryInspection<T> {
  if (text.length > MAX_DATAGRAM_BYTES) return TOO_LARGE;
  if (!bracesAround(text)) return NOT_AN_OBJECT;
  const scanned = macFor ? scanDeviceId(text) : undefined;
  let authenticated: boolean | null = false;
  if (scanned !== undefined) {
    authenticated = checkMac(text, scanned, macFor);
    if (authenticated === null) return badMac(scanned);
  }
  if (jsonLimitExcess(text, TELEMETRY_JSON_LIMITS) !== undefined) return TOO_COMPLEX;
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return NOT_AN_OBJECT;
  const obj = value as Record<string, unknown>;
  if (obj.v !== 1) return malformed('"v" must be 1');
  for (const key in obj) if (!allowed.has(key)) return malformed(`unknown field "${key}"`);
  if (typeof obj.device !== 'string' || !DEVICE_ID_PATTERN.test(obj.device)) return malformed('"device" must be an id of 1-64 letters, digits, "_", "-", "."');
  if (!isUint(obj.boot, 0xffffffff)) return malformed('"boot" must be an integer 0-4294967295');
  const detail = problem(obj);
  if (detail !== undefined) return malformed(detail);
  if (obj.device !== scanned) {
    // The MAC already checked belongs to another id than the one parsed (a second
    // "device" member): refused, so one device's key can never sign for another.
    if (authenticated) return DEVICE_TWICE;
    authenticated = checkMac(text, obj.device, macFor);
    if (authenticated === null) return badMac(obj.device);
  }
  delete obj.mac;
  return { ok: true, message: obj as unknown as T, authenticated };
}

/**
 * Parses and validates a telemetry datagram (already decoded as UTF-8 text) without
 * throwing: for receivers that must refuse floods of bad datagrams cheaply.
 */
export function inspectTelemetry(text: string, macFor?: MacLookup): TelemetryInspection<TelemetryDatagram> {
  return inspect<TelemetryDatagram>(text, TELEMETRY_FIELDS, datagramProblem, macFor);
}

/** Parses and validates a telemetry acknowledgement without throwing. */
export function inspectTelemetryAck(text: string, macFor?: MacLookup): TelemetryInspection<TelemetryAck> {
  return inspect<TelemetryAck>(text, ACK_FIELDS, ackProblem, macFor);
}

function settle<T>(inspection: TelemetryInspection<T>): ParsedDatagram<T> {
  if (!inspection.ok) throw new PicolinkError(inspection.code, inspection.reason);
  return { message: inspection.message, authenticated: inspection.authenticated };
}

/**
 * Parses and validates a telemetry datagram (already decoded as UTF-8 text). With a key
 * for the device, a datagram without a valid MAC is rejected (`PL_ERR_TELEMETRY_BAD_MAC`);
 * without a key, any MAC is ignored. Anything else wrong: `PL_ERR_TELEMETRY_MALFORMED`.
 */
export function parseTelemetry(text: string, macFor?: MacLookup): ParsedDatagram<TelemetryDatagram> {
  return settle(inspectTelemetry(text, macFor));
}

/** Parses and validates a telemetry acknowledgement. */
export function parseTelemetryAck(text: string, macFor?: MacLookup): ParsedDatagram<TelemetryAck> {
  return settle(inspectTelemetryAck(text, macFor));
}
