import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { checkJsonLimits, parseBoundedJson, DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_JSON_VALUES } from './json-limits.js';
import { parseFrame } from './framing.js';
import { parseTelemetry } from './telemetry.js';
import { errorResponse } from './messages.js';
import { ErrorCode, PicolinkError } from './errors.js';

function nested(depth: number, open = '[', close = ']'): string {
  return open.repeat(depth) + close.repeat(depth);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof PicolinkError ? err.code : 'not-coded';
  }
  return undefined;
}

test('nesting up to the limit is accepted, one level more is refused before parsing', () => {
  assert.equal(codeOf(() => checkJsonLimits(nested(DEFAULT_MAX_JSON_DEPTH))), undefined);
  assert.equal(codeOf(() => checkJsonLimits(nested(DEFAULT_MAX_JSON_DEPTH + 1))), ErrorCode.JSON_TOO_COMPLEX);
  // Unbalanced text is refused as soon as the depth passes the limit: nothing is parsed.
  assert.equal(codeOf(() => checkJsonLimits('{"a":' + '['.repeat(100_000))), ErrorCode.JSON_TOO_COMPLEX);
});

test('brackets inside strings, escaped quotes included, do not count', () => {
  const text = JSON.stringify({ action: 'ping', note: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ \\" [[[[ "' });
  assert.equal(codeOf(() => checkJsonLimits(text, { maxDepth: 2 })), undefined);
  assert.equal(codeOf(() => checkJsonLimits('{"a":"\\\\",' + '"b":[[[]]]}', { maxDepth: 3 })), ErrorCode.JSON_TOO_COMPLEX);
});

test('the number of values is bounded', () => {
  const ok = JSON.stringify(new Array(DEFAULT_MAX_JSON_VALUES - 2).fill(0));
  assert.equal(codeOf(() => checkJsonLimits(ok)), undefined);
  const many = JSON.stringify(new Array(DEFAULT_MAX_JSON_VALUES).fill(0));
  assert.equal(codeOf(() => checkJsonLimits(many)), ErrorCode.JSON_TOO_COMPLEX);
});

test('parseBoundedJson turns a syntax error into PL_ERR_BAD_JSON', () => {
  assert.equal(codeOf(() => parseBoundedJson('{"a":')), ErrorCode.BAD_JSON);
  assert.deepEqual(parseBoundedJson('{"a":[1,{"b":2}]}'), { a: [1, { b: 2 }] });
});

test('a deeply nested request frame is refused with a code, and its error response serialises', () => {
  const line = `{"action":"ping","x":${nested(4200)}}`;
  let caught: unknown;
  try {
    parseFrame(line);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof PicolinkError);
  assert.equal((caught as PicolinkError).code, ErrorCode.JSON_TOO_COMPLEX);
  const response = JSON.stringify(errorResponse(null, caught));
  assert.match(response, /PL_ERR_JSON_TOO_COMPLEX/);
});

test('a nested telemetry datagram is malformed, not a crash', () => {
  const text = `{"v":1,"device":"d","boot":1,"seq":1,"t":1,"readings":{"a":${nested(50)}}}`;
  assert.equal(codeOf(() => parseTelemetry(text)), ErrorCode.TELEMETRY_MALFORMED);
});
