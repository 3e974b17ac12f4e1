import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ErrorCode, PicolinkError } from './errors.js';
import { isWithinJsonLimits } from './json-limits.js';
import { errorResponse } from './messages.js';

function nestedArray(depth: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

const failure = new PicolinkError(ErrorCode.BAD_TYPE, 'bad');

test('isWithinJsonLimits: depth, values and characters, counted without recursion', () => {
  assert.equal(isWithinJsonLimits({ a: nestedArray(31) }), true, '32 levels with the object');
  assert.equal(isWithinJsonLimits({ a: nestedArray(32) }), false);
  assert.equal(isWithinJsonLimits(nestedArray(100_000)), false, 'no stack overflow');
  assert.equal(isWithinJsonLimits(Array.from({ length: 4095 }, () => 0)), true);
  assert.equal(isWithinJsonLimits(Array.from({ length: 4096 }, () => 0)), false);
  assert.equal(isWithinJsonLimits({ s: 'x'.repeat(99) }, { maxChars: 100 }), true);
  assert.equal(isWithinJsonLimits({ s: 'x'.repeat(100) }, { maxChars: 100 }), false, 'keys count too');
});

test('an error response echoes a request within the limits whole', () => {
  const request = { id: 3, action: 'write_pin', pin: 2, extra: [[1]] };
  assert.deepEqual(errorResponse(request, failure), { ...request, ok: false, error: 'bad', code: 'PL_ERR_BAD_TYPE', exception: 'TypeError' });
});

test('an error response to a request past the limits echoes only its id and action, and can be written', () => {
  for (const request of [
    { id: 'deep', action: 'ping', x: nestedArray(10_000) },
    { id: 'wide', action: 'ping', x: Array.from({ length: 10_000 }, () => 0) },
    { id: 'long', action: 'ping', x: 'x'.repeat(100_000) },
  ]) {
    const response = errorResponse(request, failure);
    assert.deepEqual(response, { id: request.id, action: 'ping', ok: false, error: 'bad', code: 'PL_ERR_BAD_TYPE', exception: 'TypeError' });
    assert.ok(JSON.stringify(response).length < 200);
  }
});
