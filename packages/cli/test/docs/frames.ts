/**
 * Checks a protocol frame written in the docs with the protocol codec: requests are
 * validated and coerced as a device would, responses, events, hellos and telemetry
 * datagrams are checked against the shapes docs/protocol.md gives them. A frame that is
 * not one of those throws, naming why.
 */
import { strict as assert } from 'node:assert';
import {
  ACTIONS,
  ErrorCode,
  exceptionNameFor,
  isActionName,
  messageKind,
  parseTelemetry,
  parseTelemetryAck,
  validateHello,
  validateRequest,
  WELCOME_RESULTS,
} from '@picolink/protocol';
import type { ErrorCodeValue } from '@picolink/protocol';

export type Frame = Record<string, unknown>;

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));
const CAUSES = new Set(['input', 'write', 'lease', 'failsafe', 'setup', 'reset']);
const PIN_CHANGE_FIELDS = new Set(['event', 'pin', 'value', 'cause', 't', 'time']);

/** Parses one line of a block as a JSON object. */
export function parseFrameLine(line: string): Frame {
  const value: unknown = JSON.parse(line);
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `not a JSON object: ${line}`);
  return value as Frame;
}

/**
 * Checks one frame; `request` is the request a response answers, when the doc shows it.
 * A telemetry datagram or ack (`v` present) is parsed as the hub's ingest parses it.
 */
export function checkFrame(frame: Frame, text: string, request?: Frame): void {
  if ('v' in frame) {
    if ('ack' in frame && !('readings' in frame)) parseTelemetryAck(text);
    else parseTelemetry(text);
    return;
  }
  switch (messageKind(frame)) {
    case 'request':
      if (frame.action === 'hello') validateHello(frame);
      else validateRequest(frame);
      return;
    case 'response':
      checkResponse(frame, request);
      return;
    case 'event':
      checkEvent(frame);
      return;
    default:
      assert.fail(`neither request, response, event nor telemetry: ${text}`);
  }
}

function checkResponse(frame: Frame, request: Frame | undefined): void {
  if (request !== undefined) {
    const echo = request.action === 'hello' ? { ...request, token: undefined } : request;
    for (const [key, value] of Object.entries(echo)) {
      if (value === undefined || resultNames(request.action).has(key)) continue;
      assert.deepEqual(frame[key], value, `the response echoes "${key}" of its request`);
    }
  }
  if (frame.ok === true) {
    assert.equal(typeof frame.time_received, 'number', 'a success carries time_received');
    const results = resultNames(frame.action);
    const extra = Object.keys(frame).filter((key) => !results.has(key) && !['ok', 'time_received', 'id', 'action', 'time_sent'].includes(key) && !(request !== undefined && key in request));
    if (request !== undefined) assert.deepEqual(extra, [], `fields of a ${String(frame.action)} response that are neither echoed nor results`);
    return;
  }
  assert.equal(typeof frame.error, 'string', 'an error response carries a sentence');
  assert.ok(CODES.has(frame.code as string), `unknown code ${String(frame.code)}`);
  assert.equal(frame.exception, exceptionNameFor(frame.code as ErrorCodeValue), `exception name of ${String(frame.code)}`);
}

function resultNames(action: unknown): Set<string> {
  if (action === 'hello') return new Set(Object.keys(WELCOME_RESULTS));
  if (typeof action === 'string' && isActionName(action)) return new Set(Object.keys(ACTIONS[action].results));
  return new Set();
}

function checkEvent(frame: Frame): void {
  if (frame.event === 'pin_change') {
    for (const key of Object.keys(frame)) assert.ok(PIN_CHANGE_FIELDS.has(key), `pin_change has no field "${key}"`);
    assert.ok(frame.value === 0 || frame.value === 1, 'pin_change value is 0 or 1');
    assert.ok(CAUSES.has(frame.cause as string), `pin_change cause ${String(frame.cause)}`);
    assert.ok(Number.isInteger(frame.t) && (frame.t as number) >= 0, 'pin_change t is device ms');
    validateRequest({ action: 'read_pin', pin: frame.pin });
    return;
  }
  if (frame.event === 'closing') {
    assert.ok(CODES.has(frame.code as string), `unknown code ${String(frame.code)}`);
    assert.equal(typeof frame.error, 'string');
    return;
  }
  assert.fail(`event kind ${String(frame.event)} is not in docs/protocol.md#events`);
}
