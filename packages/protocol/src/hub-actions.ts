/**
 * Dial-home (docs/protocol.md#dial-home): the `hello` request a device sends to the hub
 * as its first frame and the welcome that answers it (the reconnect backoff is
 * @picolink/net's reconnectDelayMs). `hello` is a request to the hub, not a device action: it is not in ACTIONS, and devices answer it
 * with PL_ERR_UNKNOWN_ACTION like any other unknown name.
 */
import { DEVICE_ID_PATTERN } from './telemetry.js';
import { ErrorCode, isErrorCode, PicolinkError } from './errors.js';
import { readRequestId } from './request.js';
import type { RequestId } from './request.js';
import { successResponse } from './messages.js';

export const HELLO_ACTION = 'hello';

/** Default time between heartbeats the hub announces in the welcome, in ms. */
export const DEFAULT_HUB_HEARTBEAT_MS = 15_000;

const MAX_TOKEN_CHARS = 256;
const MAX_FIRMWARE_CHARS = 64;
const MAX_CAPABILITIES = 32;
const MAX_CAPABILITY_CHARS = 32;
const MAX_BOOT = 0xffffffff;

export interface HelloFieldSpec {
  required: boolean;
  doc: string;
}

/** The fields of `hello`, in validation order; docs/protocol.md#hello has one row for each. */
export const HELLO_FIELDS = {
  device: { required: true, doc: 'the device id: 1-64 of A-Z a-z 0-9 _ . -' },
  token: { required: false, doc: `the device's secret, as configured on the hub: a string of 1-${MAX_TOKEN_CHARS} characters` },
  protocol: { required: true, doc: 'the protocol version the device speaks: an integer >= 1' },
  firmware: { required: true, doc: `the firmware version, as get_version reports it: 1-${MAX_FIRMWARE_CHARS} characters` },
  capabilities: { required: true, doc: `the device's capabilities, as get_version reports them: a list of at most ${MAX_CAPABILITIES} strings` },
  boot: { required: true, doc: `the random number drawn at each start (as in telemetry): an integer 0-${MAX_BOOT}` },
} as const satisfies Record<string, HelloFieldSpec>;

/** The welcome's result fields; docs/protocol.md#welcome has one row for each. */
export const WELCOME_RESULTS = {
  server_time: 'the hub clock when it sent the welcome, Unix ms: the device sets its clock from it',
  heartbeat_ms: 'ping when nothing was received for this long; close after three times this',
  config: 'device settings kept on the hub (an object, {} when there are none)',
} as const;

/** A validated hello. */
export interface Hello {
  id?: RequestId;
  device: string;
  token?: string;
  protocol: number;
  firmware: string;
  capabilities: string[];
  boot: number;
}

/** What the hub adds to the echoed hello. */
export interface WelcomeFields {
  /** Hub clock, Unix ms. */
  server_time: number;
  /** Heartbeat interval, ms. */
  heartbeat_ms: number;
  /** Device settings from the hub configuration. */
  config: Record<string, unknown>;
}

function badType(field: string, expected: string): PicolinkError {
  return new PicolinkError(ErrorCode.BAD_TYPE, `hello field "${field}" must be ${expected}`);
}

function outOfRange(field: string, expected: string): PicolinkError {
  return new PicolinkError(ErrorCode.OUT_OF_RANGE, `hello field "${field}" must be ${expected}`);
}

function readString(field: string, value: unknown, maxChars: number): string {
  if (typeof value !== 'string') throw badType(field, 'a string');
  if (value.length === 0 || value.length > maxChars) throw outOfRange(field, `1-${maxChars} characters long`);
  return value;
}

function readInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw badType(field, 'an integer');
  if (value < min || value > max) throw outOfRange(field, `between ${min} and ${max}`);
  return value;
}

function readCapabilities(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw badType('capabilities', 'a list of strings');
  if (value.length > MAX_CAPABILITIES) throw outOfRange('capabilities', `a list of at most ${MAX_CAPABILITIES} names`);
  for (const name of value) if (name.length === 0 || name.length > MAX_CAPABILITY_CHARS) throw outOfRange('capabilities', `names of 1-${MAX_CAPABILITY_CHARS} characters`);
  return [...value];
}

/** Reads one present field; the table order above is the validation order. */
function readHelloField(name: keyof typeof HELLO_FIELDS, value: unknown): unknown {
  switch (name) {
    case 'device':
      if (typeof value !== 'string') throw badType('device', 'a string');
      if (!DEVICE_ID_PATTERN.test(value)) throw outOfRange('device', 'an id of 1-64 letters, digits, "_", "-" or "."');
      return value;
    case 'token':
      return readString('token', value, MAX_TOKEN_CHARS);
    case 'protocol':
      return readInteger('protocol', value, 1, Number.MAX_SAFE_INTEGER);
    case 'firmware':
      return readString('firmware', value, MAX_FIRMWARE_CHARS);
    case 'capabilities':
      return readCapabilities(value);
    case 'boot':
      return readInteger('boot', value, 0, MAX_BOOT);
  }
}

/**
 * Validates the first frame of a dial-home connection. Values are taken as JSON types,
 * without the coercion device requests get (a hello is written by a program, not typed).
 * Fields the hub does not know are ignored, so a newer device can add optional ones.
 * Throws PL_ERR_UNAUTHORIZED for a frame that is not a hello (nothing is served before
 * one), else the first problem in field order, as docs/protocol.md#hello lists.
 */
export function validateHello(frame: Record<string, unknown>): Hello {
  const id = readRequestId(frame);
  if (frame.action !== HELLO_ACTION) {
    throw new PicolinkError(ErrorCode.UNAUTHORIZED, `the first request on a dial-home connection must be "hello", got ${JSON.stringify(frame.action ?? null)}; see docs/protocol.md#dial-home`);
  }
  const hello: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const [name, spec] of Object.entries(HELLO_FIELDS) as [keyof typeof HELLO_FIELDS, HelloFieldSpec][]) {
    const value = frame[name];
    if (value === undefined || value === null) {
      if (spec.required) missing.push(name);
      continue;
    }
    hello[name] = readHelloField(name, value);
  }
  if (missing.length > 0) throw new PicolinkError(ErrorCode.MISSING_FIELD, `incomplete hello, missing fields: ${missing.join(', ')}`);
  if (id !== undefined) hello.id = id;
  return hello as unknown as Hello;
}

/** The hello frame a device sends, fields in the documented order. */
export function helloRequest(hello: Hello): Record<string, unknown> {
  const frame: Record<string, unknown> = {};
  if (hello.id !== undefined) frame.id = hello.id;
  frame.action = HELLO_ACTION;
  frame.device = hello.device;
  if (hello.token !== undefined) frame.token = hello.token;
  frame.protocol = hello.protocol;
  frame.firmware = hello.firmware;
  frame.capabilities = hello.capabilities;
  frame.boot = hello.boot;
  return frame;
}

/** A hello as it may be repeated in responses and logs: without its token. */
export function helloEcho(frame: Record<string, unknown>): Record<string, unknown> {
  if (!('token' in frame)) return frame;
  const { token: _token, ...rest } = frame;
  return rest;
}

/** The welcome: the hello echoed without its token, `ok`, `time_received` and the welcome fields. */
export function welcomeResponse(frame: Record<string, unknown>, welcome: WelcomeFields, timeReceivedNs: number): Record<string, unknown> {
  return successResponse(helloEcho(frame), { server_time: welcome.server_time, heartbeat_ms: welcome.heartbeat_ms, config: welcome.config }, timeReceivedNs);
}

/**
 * Reads the hub's answer to a hello, on the device side. An error response throws a
 * PicolinkError with its code (PL_ERR_UNAUTHORIZED, PL_ERR_UNKNOWN_DEVICE, ...); a
 * success without the welcome fields throws PL_ERR_BAD_RESPONSE.
 */
export function readWelcome(response: Record<string, unknown>): WelcomeFields {
  if (response.ok !== true) {
    const code = isErrorCode(response.code) ? response.code : ErrorCode.BAD_RESPONSE;
    const message = typeof response.error === 'string' ? response.error : 'the hub refused the hello without saying why';
    throw new PicolinkError(code, message);
  }
  const { server_time: serverTime, heartbeat_ms: heartbeatMs, config } = response;
  if (typeof serverTime !== 'number' || !Number.isFinite(serverTime) || serverTime < 0) throw badWelcome('"server_time" must be Unix ms');
  if (typeof heartbeatMs !== 'number' || !Number.isInteger(heartbeatMs) || heartbeatMs < 1) throw badWelcome('"heartbeat_ms" must be a positive integer');
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw badWelcome('"config" must be an object');
  return { server_time: serverTime, heartbeat_ms: heartbeatMs, config: config as Record<string, unknown> };
}

function badWelcome(detail: string): PicolinkError {
  return new PicolinkError(ErrorCode.BAD_RESPONSE, `the hub's welcome is malformed: ${detail}`);
}
