import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ErrorCode } from '@picolink/protocol';
import { isErrorResponse, responseError } from './response-error.js';

// (answer, code, message)
const cases: Array<[Record<string, unknown>, string, string]> = [
  [{ ok: false, code: 'PL_ERR_PIN_MODE', error: 'pin 5 is driven by PWM; send setup_pin to use it as GPIO' }, ErrorCode.PIN_MODE, 'pin 5 is driven by PWM; send setup_pin to use it as GPIO'],
  [{ ok: false, code: 'PL_ERR_FROM_THE_FUTURE', error: 'new thing' }, ErrorCode.BAD_RESPONSE, 'the device reported an error with an unknown code "PL_ERR_FROM_THE_FUTURE": new thing'],
  [{ error: 'unknown action "x", use "list_actions" to list available actions', exception: 'ValueError' }, ErrorCode.UNKNOWN_ACTION, 'unknown action "x", use "list_actions" to list available actions'],
  [{ error: 'incomplete command, missing fields: pin, mode', exception: 'KeyError' }, ErrorCode.MISSING_FIELD, 'incomplete command, missing fields: pin, mode'],
  [{ error: 'pin 7 not setup', exception: 'ValueError' }, ErrorCode.PIN_NOT_SETUP, 'pin 7 not setup; send setup_pin first'],
  [{ error: 'Expecting value: line 1 column 1', exception: 'JSONDecodeError' }, ErrorCode.BAD_RESPONSE, 'the device reported an error: Expecting value: line 1 column 1 (JSONDecodeError)'],
  [{ ok: false }, ErrorCode.BAD_RESPONSE, 'the device reported an error without a message'],
  [{ ok: false, code: 'PL_ERR_BUSY' }, ErrorCode.BUSY, 'the device reported an error without a message'],
];

for (const [answer, code, message] of cases) {
  test(`error answer ${JSON.stringify(answer).slice(0, 60)} → ${code}`, () => {
    assert.equal(isErrorResponse(answer), true);
    const err = responseError(answer);
    assert.equal(err.code, code);
    assert.equal(err.message, message);
    assert.equal(err.response, answer);
  });
}

test('success answers are not errors, with or without ok', () => {
  assert.equal(isErrorResponse({ ok: true, action: 'ping' }), false);
  assert.equal(isErrorResponse({ action: 'ping', time_received: 1 }), false);
  // A picolink success response never carries `error`; with ok: true it is a success whatever else it holds.
  assert.equal(isErrorResponse({ ok: true, error: 'x' }), false);
});
