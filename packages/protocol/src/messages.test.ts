import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { echoedFields, encodeSuccessResponse, errorResponse, messageKind, successResponse, toPicolinkError } from './messages.js';
import { ErrorCode, exceptionNameFor, isErrorCode, PicolinkError } from './errors.js';
import { encodeFrame, LineDecoder, parseFrame } from './framing.js';
import { validateRequest } from './request.js';
import { DEFAULT_MAX_FRAME_BYTES } from './version.js';

const NS = 1_700_000_000_000_000_000;

test('messageKind: ok → response, event → event, action → request', () => {
  assert.equal(messageKind({ ok: false, action: 'ping' }), 'response');
  assert.equal(messageKind({ event: 'pin_change', action: 'ping' }), 'event');
  assert.equal(messageKind({ action: 'ping', id: 1 }), 'request');
  assert.equal(messageKind({ id: 1 }), 'unknown');
  assert.equal(messageKind({ ok: 1 }), 'unknown');
});

test('a success response echoes the request as received and adds ok, time_received and results', () => {
  const request = { id: 7, action: 'read_pin', pin: '2', time_sent: 5 };
  assert.deepEqual(successResponse(request, { value: 1 }, NS), { id: 7, action: 'read_pin', pin: '2', time_sent: 5, ok: true, time_received: NS, value: 1 });
});

test('an error response carries error, code and the Python exception name', () => {
  const err = new PicolinkError(ErrorCode.PIN_NOT_SETUP, 'pin 7 is not set up; send setup_pin first');
  assert.deepEqual(errorResponse({ id: 1, action: 'read_pin', pin: 7 }, err), {
    id: 1,
    action: 'read_pin',
    pin: 7,
    ok: false,
    error: 'pin 7 is not set up; send setup_pin first',
    code: 'PL_ERR_PIN_NOT_SETUP',
    exception: 'RuntimeError',
  });
  assert.deepEqual(Object.keys(errorResponse(null, err)).sort(), ['code', 'error', 'exception', 'ok']);
});

test('unexpected errors become PL_ERR_INTERNAL and keep their cause', () => {
  const cause = new RangeError('boom');
  const coded = toPicolinkError(cause);
  assert.equal(coded.code, ErrorCode.INTERNAL);
  assert.equal(coded.message, 'internal error: boom');
  assert.equal(coded.cause, cause);
  assert.equal(toPicolinkError('text').message, 'internal error: text');
  const mine = new PicolinkError(ErrorCode.BUSY, 'busy');
  assert.equal(toPicolinkError(mine), mine);
  assert.equal(errorResponse({ action: 'ping' }, cause).code, ErrorCode.INTERNAL);
});

test('every error code has a Python exception name; unlisted ones are RuntimeError', () => {
  for (const code of Object.values(ErrorCode)) {
    assert.ok(isErrorCode(code));
    assert.match(exceptionNameFor(code), /^[A-Z][A-Za-z]*Error$/, code);
  }
  assert.equal(exceptionNameFor(ErrorCode.NO_SUCH_PIN), 'RuntimeError');
  assert.equal(isErrorCode('PL_ERR_' + 'NOT_A_CODE'), false);
});

test('an update response names its files instead of repeating their contents', () => {
  const content = 'x'.repeat(40_000);
  const request = { id: 1, action: 'update', files: { 'main.py': content, 'boot.py': content, 'lib/a.py': content } };
  const response = successResponse(request, { updated: ['boot.py', 'lib/a.py', 'main.py'], delay_ms: 1000 }, NS);
  assert.deepEqual(response.files, ['boot.py', 'lib/a.py', 'main.py']);
  assert.ok(encodeFrame(response).length < 200);
  assert.deepEqual(errorResponse(request, new PicolinkError(ErrorCode.UPDATE_HASH, 'bad')).files, ['boot.py', 'lib/a.py', 'main.py']);
  assert.equal(typeof request.files, 'object', 'the request itself is left as it was');
  assert.equal(echoedFields({ action: 'ping', files: { a: 'b' } }).files instanceof Array, false, 'only update requests are shortened');
});

test('a request travels through framing, validation and a response', () => {
  const decoder = new LineDecoder();
  const wire = new TextEncoder().encode(encodeFrame({ id: 1, action: 'write_pin', pin: '2', value: 'on', timeout: '0.5' }));
  const [decoded] = decoder.push(wire);
  assert.ok(decoded?.line !== undefined);
  const frame = parseFrame(decoded.line);
  const request = validateRequest(frame);
  assert.equal(request.action, 'write_pin');
  const response = successResponse(frame, { previous: 0, reverts_to: 0, lease_ms: 500 }, NS);
  const back = parseFrame(encodeFrame(response).trimEnd());
  assert.equal(messageKind(back), 'response');
  assert.equal(back.id, 1);
  assert.equal(back.lease_ms, 500);
  assert.ok(encodeFrame(response).length < DEFAULT_MAX_FRAME_BYTES);
});

test('encodeSuccessResponse splices into the request line and parses like successResponse', () => {
  const cases: [string, object][] = [
    ['{"id":1,"action":"ping"}', {}],
    ['{ "action" : "read_pin", "pin": "2" }  ', { value: 1 }],
    ['{"action":"setup_pin","pin":2,"mode":"output","value":0}', { value: 0 }],
    ['{"action":"update","files":{"b.py":"x","a.py":"y"}}', { updated: ['a.py', 'b.py'], delay_ms: 1000 }],
    ['{"action":"get_info","time_sent":5}', { info: { mem_free: 1, board: 'pico "w"' } }],
  ];
  for (const [line, results] of cases) {
    const request = JSON.parse(line) as Record<string, unknown>;
    const frame = encodeSuccessResponse(line, request, results, 1_700_000_000_000_000_000);
    assert.ok(frame.endsWith('}\n'), frame);
    assert.equal(frame.indexOf('\n'), frame.length - 1, 'one line');
    assert.deepEqual(JSON.parse(frame), successResponse(request, results, 1_700_000_000_000_000_000), line);
  }
});

test('encodeSuccessResponse keeps each key once when a result shares a request field name', () => {
  const line = '{"action":"setup_pin","pin":2,"mode":"output","value":"1"}';
  const frame = encodeSuccessResponse(line, JSON.parse(line) as Record<string, unknown>, { value: 1 }, 7);
  assert.equal(frame.match(/"value"/g)?.length, 1);
  assert.equal((JSON.parse(frame) as { value: number }).value, 1);
});
