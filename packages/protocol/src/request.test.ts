import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ACTION_NAMES, ACTIONS, COMMON_FIELDS, isActionName } from './actions.js';
import type { ActionSpec, FieldSpec } from './actions.js';
import type { FieldType } from './coerce.js';
import { ErrorCode, PicolinkError } from './errors.js';
import type { ErrorCodeValue } from './errors.js';
import { readRequestId, validateRequest } from './request.js';

function fails(frame: Record<string, unknown>, code: ErrorCodeValue, message?: string | RegExp): void {
  assert.throws(
    () => validateRequest(frame),
    (err: unknown) => {
      if (!(err instanceof PicolinkError)) return false;
      assert.equal(err.code, code, err.message);
      if (typeof message === 'string') assert.equal(err.message, message);
      else if (message) assert.match(err.message, message);
      return true;
    },
  );
}

/** A value each field type accepts, as a command line would send it (text). */
function sampleText(type: FieldType): unknown {
  switch (type.kind) {
    case 'int':
    case 'number':
      return String(type.min);
    case 'bool':
    case 'bit':
      return 'on';
    case 'enum':
      return (type.values[0] ?? '').toUpperCase();
    case 'pin':
      return '2';
    case 'files':
      return { 'main.py': 'print(1)\n' };
    case 'hashes':
      return { 'main.py': 'a'.repeat(64) };
  }
}

function specOf(action: string): ActionSpec {
  return (ACTIONS as Record<string, ActionSpec>)[action] as ActionSpec;
}

test('every action accepts its required fields given as text, and fills in defaults', () => {
  for (const action of ACTION_NAMES) {
    const spec = specOf(action);
    const frame: Record<string, unknown> = { id: 1, action };
    for (const [name, field] of Object.entries<FieldSpec>(spec.fields)) if (field.required) frame[name] = sampleText(field.type);
    const request = validateRequest(frame);
    assert.equal(request.action, action);
    assert.equal(request.id, 1);
    const fields = request.fields as Record<string, unknown>;
    for (const [name, field] of Object.entries<FieldSpec>(spec.fields)) {
      if (field.required) assert.ok(fields[name] !== undefined, `${action}.${name} is set`);
      else if (field.default !== undefined) assert.deepEqual(fields[name], field.default, `${action}.${name} defaults`);
      else assert.equal(name in fields, false, `${action}.${name} stays absent`);
    }
  }
});

test('every action reports each missing required field, in table order', () => {
  for (const action of ACTION_NAMES) {
    const required = Object.entries<FieldSpec>(specOf(action).fields)
      .filter(([, field]) => field.required)
      .map(([name]) => name);
    if (required.length === 0) continue;
    fails({ action }, ErrorCode.MISSING_FIELD, `incomplete command, missing fields: ${required.join(', ')}`);
  }
});

test('every action refuses a field it does not take, and says which it takes', () => {
  for (const action of ACTION_NAMES) {
    const spec = specOf(action);
    const frame: Record<string, unknown> = { action, bogus: 1 };
    for (const [name, field] of Object.entries<FieldSpec>(spec.fields)) if (field.required) frame[name] = sampleText(field.type);
    const names = Object.keys(spec.fields);
    const hint = names.length > 0 ? `${action} takes ${names.join(', ')}` : `${action} takes no fields`;
    fails(frame, ErrorCode.UNKNOWN_FIELD, `unknown field "bogus"; ${hint}`);
  }
});

test('id, action and time_sent are accepted on every request and are not fields', () => {
  assert.deepEqual([...COMMON_FIELDS], ['id', 'action', 'time_sent']);
  const request = validateRequest({ id: 'abc', action: 'ping', time_sent: 1 });
  assert.deepEqual(request, { action: 'ping', id: 'abc', fields: {} });
  assert.equal('id' in validateRequest({ action: 'ping' }), false, 'no id key when the request had none');
});

test('readRequestId: absent, a string of at most 128 characters, or a safe integer', () => {
  assert.equal(readRequestId({}), undefined);
  assert.equal(readRequestId({ id: 'r'.repeat(128) }), 'r'.repeat(128));
  assert.equal(readRequestId({ id: -1 }), -1);
  for (const bad of ['r'.repeat(129), 0.5, Number.MAX_SAFE_INTEGER + 1, true, null, [], {}]) {
    assert.throws(() => readRequestId({ id: bad }), (err: unknown) => err instanceof PicolinkError && err.code === ErrorCode.BAD_TYPE);
  }
});

test('unknown actions get piconetcontrol\'s message', () => {
  fails({ action: 'blink' }, ErrorCode.UNKNOWN_ACTION, 'unknown action "blink", use "list_actions" to list available actions');
  fails({ action: '__proto__' }, ErrorCode.UNKNOWN_ACTION);
  assert.equal(isActionName('hasOwnProperty'), false);
  assert.equal(isActionName('ping'), true);
});

test('validation order: id, action, each field in table order, missing, unknown, combinations', () => {
  fails({ id: false, action: 'nope' }, ErrorCode.BAD_TYPE, /"id"/);
  fails({ action: 'nope', pin: 'x' }, ErrorCode.UNKNOWN_ACTION);
  fails({ action: 'set_pwm', pin: 2, freq: 1, duty: 9 }, ErrorCode.OUT_OF_RANGE, /"freq"/);
  fails({ action: 'set_pwm', pin: 2, duty: 9 }, ErrorCode.OUT_OF_RANGE, /"duty"/);
  fails({ action: 'set_pwm', pin: 2, bogus: 1 }, ErrorCode.MISSING_FIELD);
  fails({ action: 'setup_pin', pin: 2, mode: 'input', safe: 1, bogus: 1 }, ErrorCode.UNKNOWN_FIELD);
  fails({ action: 'setup_pin', pin: 2, mode: 'input', safe: 1 }, ErrorCode.FIELD_CONFLICT);
});

test('setup_pin: safe is for outputs only', () => {
  const request = validateRequest({ action: 'setup_pin', pin: 'LED', mode: 'output', safe: 'off' });
  assert.deepEqual(request.fields, { pin: 'LED', mode: 'output', pull: 'none', safe: 0 });
  fails({ action: 'setup_pin', pin: 4, mode: 'input', safe: 0 }, ErrorCode.FIELD_CONFLICT, /"safe" applies only to outputs/);
});

test('update: sha256, when given, must name every file; nothing is decoded here', () => {
  const digest = 'c'.repeat(64);
  const ok = validateRequest({ action: 'update', files: { 'a.py': 'not base64!' }, compress: true, sha256: { 'a.py': digest } });
  assert.deepEqual(ok.fields, { files: { 'a.py': 'not base64!' }, compress: true, sha256: { 'a.py': digest } });
  fails(
    { action: 'update', files: { 'a.py': '', 'b.py': '', 'c.py': '' }, sha256: { 'b.py': digest } },
    ErrorCode.UPDATE_HASH,
    'field "sha256" has no digest for a.py, c.py; give one for every file or leave sha256 out',
  );
});

test('validation does not change the frame it was given', () => {
  const frame = { id: 3, action: 'write_pin', pin: '2', value: 'on', timeout: '1.5' };
  const copy = structuredClone(frame);
  const request = validateRequest(frame);
  assert.deepEqual(request.fields, { pin: 2, value: 1, timeout: 1.5 });
  assert.deepEqual(frame, copy);
});
