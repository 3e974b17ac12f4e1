/**
 * Message kinds on the control channel (docs/protocol.md#messages): requests carry
 * `action`, responses carry `ok`, pushed events carry `event`.
 */
import { ErrorCode, exceptionNameFor, PicolinkError } from './errors.js';
import type { ErrorCodeValue } from './errors.js';
import type { PinId } from './coerce.js';
import { isWithinJsonLimits } from './json-limits.js';
import { DEFAULT_MAX_FRAME_BYTES } from './version.js';

export type MessageKind = 'request' | 'response' | 'event' | 'unknown';

/** Classifies a parsed frame from a picolink peer. */
export function messageKind(frame: Record<string, unknown>): MessageKind {
  if (typeof frame.ok === 'boolean') return 'response';
  if (typeof frame.event === 'string') return 'event';
  if (typeof frame.action === 'string') return 'request';
  return 'unknown';
}

/** Fields every error response adds to the echoed request. */
export interface ErrorFields {
  ok: false;
  error: string;
  code: ErrorCodeValue;
  exception: string;
}

/**
 * A success response: the request's fields echoed, then `ok`, `time_received`
 * (device clock, ns since the Unix epoch, as piconetcontrol sends) and the results.
 */
export function successResponse(request: Record<string, unknown>, results: object, timeReceivedNs: number): Record<string, unknown> {
  return { ...echoedFields(request), ok: true, time_received: timeReceivedNs, ...results };
}

/**
 * A success response as a frame, built from the request's own line when it can be: the
 * added fields are spliced in before its closing brace, so the echo is the request as
 * sent and is neither parsed into a new object nor serialised again. Falls back to
 * {@link successResponse} when a result field has the name of a request field, and for
 * `update`, whose echo differs from the request. Either way the frame parses to the same
 * object.
 *
 * @param line the request frame's text, as decoded from the wire
 * @param request the same frame, parsed
 */
export function encodeSuccessResponse(line: string, request: Record<string, unknown>, results: object, timeReceivedNs: number): string {
  const close = line.lastIndexOf('}');
  let spliceable = close > 0 && request.action !== 'update' && !('ok' in request) && !('time_received' in request);
  if (spliceable) {
    for (const key in results) {
      if (key in request) {
        spliceable = false;
        break;
      }
    }
  }
  if (!spliceable) return JSON.stringify(successResponse(request, results, timeReceivedNs)) + '\n';
  const extra = JSON.stringify(results);
  const tail = extra.length > 2 ? `,${extra.slice(1, -1)}` : '';
  return `${line.slice(0, close)},"ok":true,"time_received":${timeReceivedNs}${tail}}\n`;
}

/**
 * The request fields a response repeats. An `update` request's `files` object is echoed
 * as the sorted list of its names, so a response to a large update stays small
 * (docs/protocol.md#action-update).
 */
export function echoedFields(request: Record<string, unknown>): Record<string, unknown> {
  const files = request.files;
  if (request.action !== 'update' || files === null || typeof files !== 'object' || Array.isArray(files)) return request;
  return { ...request, files: Object.keys(files).sort() };
}

/**
 * An error response: the request's fields (if it could be parsed) plus the error fields.
 * The echo is bounded: a request past the JSON shape limits or larger than a frame (one
 * that did not come through parseFrame) is echoed as its `id` and `action` only, so an
 * error never re-serialises an unbounded structure.
 */
export function errorResponse(request: Record<string, unknown> | null, err: unknown): Record<string, unknown> {
  const coded = toPicolinkError(err);
  const fields: ErrorFields = { ok: false, error: coded.message, code: coded.code, exception: exceptionNameFor(coded.code) };
  return request === null ? { ...fields } : { ...boundedEcho(request), ...fields };
}

function boundedEcho(request: Record<string, unknown>): Record<string, unknown> {
  const echo = echoedFields(request);
  if (isWithinJsonLimits(echo, { maxChars: DEFAULT_MAX_FRAME_BYTES })) return echo;
  const short: Record<string, unknown> = {};
  for (const key of ['id', 'action']) {
    const value = request[key];
    if (typeof value === 'number' || (typeof value === 'string' && value.length <= 256)) short[key] = value;
  }
  return short;
}

/** Wraps anything thrown into a coded error; unexpected errors become PL_ERR_INTERNAL. */
export function toPicolinkError(err: unknown): PicolinkError {
  if (err instanceof PicolinkError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new PicolinkError(ErrorCode.INTERNAL, `internal error: ${detail}`, { cause: err });
}

/** What caused a pin to change, as reported in pin_change events. */
export type ChangeCause = 'input' | 'write' | 'lease' | 'failsafe' | 'setup' | 'reset';

/** A pin_change event pushed to connections that watch the pin. */
export interface PinChangeEvent {
  event: 'pin_change';
  pin: PinId;
  value: 0 | 1;
  cause: ChangeCause;
  /** Device clock: ms since the device started. */
  t: number;
  /** Unix time in ms when the device knows it, else absent. */
  time?: number;
}

