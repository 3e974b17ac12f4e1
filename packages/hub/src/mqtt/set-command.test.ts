import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { resultFromError, resultFromResponse, setRequest } from './set-command.js';
import { Topics } from './topics.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');

test('set payloads: words in any case, numbers, booleans and JSON become one validated write_pin', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['ON', { value: 1, timeout: 0 }],
    [' off\n', { value: 0, timeout: 0 }],
    ['1', { value: 1, timeout: 0 }],
    ['False', { value: 0, timeout: 0 }],
    ['{"value": 1, "timeout": 5}', { value: 1, timeout: 5 }],
    ['{"value": "on"}', { value: 1, timeout: 0 }],
    ['{"value": false, "timeout": 0.5}', { value: 0, timeout: 0.5 }],
  ];
  for (const [payload, fields] of cases) assert.deepEqual(setRequest('5', bytes(payload)), { action: 'write_pin', pin: 5, ...fields }, payload);
  assert.equal(setRequest('LED', bytes('ON')).pin, 'LED');
});

test('set payloads that are not one: each refused with its code, naming what is expected', () => {
  const refusals: Array<[string, string, string]> = [
    ['5', '', ErrorCode.BAD_TYPE],
    ['5', 'toggle', ErrorCode.BAD_TYPE],
    ['5', '{"value": 2}', ErrorCode.BAD_TYPE],
    ['5', '{"value": 1,', ErrorCode.BAD_JSON],
    ['5', '{"value": 1, "pin": 4}', ErrorCode.UNKNOWN_FIELD],
    ['5', '{}', ErrorCode.MISSING_FIELD],
    ['5', '{"value": 1, "timeout": "soon"}', ErrorCode.BAD_TYPE],
    ['5', '{"value": 1, "timeout": 700000}', ErrorCode.OUT_OF_RANGE],
    ['64', 'ON', ErrorCode.OUT_OF_RANGE],
    ['gpio5', 'ON', ErrorCode.BAD_TYPE],
    ['5', '1'.repeat(1025), ErrorCode.MESSAGE_TOO_LARGE],
  ];
  for (const [pin, payload, code] of refusals) {
    assert.throws(() => setRequest(pin, bytes(payload)), (err: unknown) => err instanceof PicolinkError && err.code === code, `${pin} ${payload.slice(0, 30)}`);
  }
});

test('answers: the device result fields for a success, the code and message for a refusal', () => {
  const request = { action: 'write_pin', pin: 5, value: 1, timeout: 5 };
  assert.deepEqual(resultFromResponse(request, { id: 3, ok: true, previous: 0, reverts_to: 0, lease_ms: 5000, time_received: 1 }), { ok: true, pin: 5, value: 1, previous: 0, reverts_to: 0, lease_ms: 5000 });
  assert.deepEqual(resultFromResponse(request, { ok: false, code: ErrorCode.PIN_MODE, error: 'pin 5 is an input' }), { ok: false, pin: 5, code: ErrorCode.PIN_MODE, error: 'pin 5 is an input' });
  // A piconetcontrol server answers errors with a message only.
  assert.equal(resultFromResponse(request, { error: 'bad pin' }).code, ErrorCode.BAD_RESPONSE);
  assert.deepEqual(resultFromError(new PicolinkError(ErrorCode.DEVICE_OFFLINE, 'away'), 5), { ok: false, pin: 5, code: ErrorCode.DEVICE_OFFLINE, error: 'away' });
  assert.equal(resultFromError(new Error('boom')).code, ErrorCode.INTERNAL);
});

test('topics: names under the prefix, and only a set command topic is read as one', () => {
  const topics = new Topics('site/pl');
  assert.equal(topics.status('pico-1'), 'site/pl/pico-1/status');
  assert.equal(topics.hubStatus('hub-a'), 'site/pl/hub/hub-a/status');
  assert.equal(topics.telemetry('pico-1', 'temp_c'), 'site/pl/pico-1/telemetry/temp_c');
  assert.equal(topics.pinState('pico-1', 'LED'), 'site/pl/pico-1/pin/LED/state');
  assert.equal(topics.setResult('pico-1', 5), 'site/pl/pico-1/pin/5/set/result');
  assert.equal(topics.setFilter, 'site/pl/+/pin/+/set');
  assert.deepEqual(topics.parseSet('site/pl/pico-1/pin/5/set'), { deviceId: 'pico-1', pin: '5' });
  for (const other of ['site/pl/pico-1/pin/5/set/result', 'site/pl/pico-1/pin/5/state', 'pl/pico-1/pin/5/set', 'site/pl//pin/5/set', 'site/pl/pico-1/pin//set']) {
    assert.equal(topics.parseSet(other), undefined, other);
  }
});
