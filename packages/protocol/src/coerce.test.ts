import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import {
  coerceBit,
  coerceBool,
  coerceEnum,
  coerceField,
  coerceFiles,
  coerceHashes,
  coerceInt,
  coerceNumber,
  coercePin,
  LED_PIN,
} from './coerce.js';
import { ErrorCode, PicolinkError } from './errors.js';
import type { ErrorCodeValue } from './errors.js';

function fails(fn: () => unknown, code: ErrorCodeValue, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    if (!(err instanceof PicolinkError)) return false;
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

test('integers: numbers and decimal text, nothing else', () => {
  assert.equal(coerceInt('n', 5, 0, 10), 5);
  assert.equal(coerceInt('n', '5', 0, 10), 5);
  assert.equal(coerceInt('n', ' +7 ', 0, 10), 7);
  assert.equal(coerceInt('n', '-3', -5, 10), -3);
  assert.equal(coerceInt('n', 4.0, 0, 10), 4);
  for (const bad of [true, false, null, '', '1.5', '0x10', '1e2', '٣', [], {}, 2.5]) {
    fails(() => coerceInt('n', bad, 0, 1000), ErrorCode.BAD_TYPE, /^field "n" must be an integer, got /);
  }
});

test('range errors name the field, the bounds, the unit and the value', () => {
  fails(() => coerceInt('freq', 7, 8, 100, 'Hz'), ErrorCode.OUT_OF_RANGE, /^field "freq" must be between 8 and 100 Hz, got 7$/);
  fails(() => coerceNumber('duty', '1.01', 0, 1), ErrorCode.OUT_OF_RANGE, /^field "duty" must be between 0 and 1, got 1\.01$/);
  assert.equal(coerceInt('n', 8, 8, 100), 8, 'bounds are inclusive');
  assert.equal(coerceNumber('n', 1, 0, 1), 1, 'bounds are inclusive');
});

test('numbers: decimal text with optional fraction and exponent; never booleans or non-finite', () => {
  assert.equal(coerceNumber('t', '0.5', 0, 10), 0.5);
  assert.equal(coerceNumber('t', '.5', 0, 10), 0.5);
  assert.equal(coerceNumber('t', '5.', 0, 10), 5);
  assert.equal(coerceNumber('t', '2.5e-1', 0, 10), 0.25);
  assert.equal(coerceNumber('t', 3, 0, 10), 3);
  for (const bad of [true, 'inf', 'Infinity', 'NaN', '1_0', '', '.', 'e1', '1.2.3', null]) {
    fails(() => coerceNumber('t', bad, 0, 10), ErrorCode.BAD_TYPE, /^field "t" must be a number, got /);
  }
  fails(() => coerceNumber('t', Number.POSITIVE_INFINITY, 0, 10), ErrorCode.BAD_TYPE, /must be a finite number/);
  fails(() => coerceNumber('t', Number.NaN, 0, 10), ErrorCode.BAD_TYPE, /must be a finite number/);
});

test('booleans: true/false, 1/0 and the words people type', () => {
  for (const yes of [true, 1, 'true', 'TRUE', '1', 'yes', 'on', ' On ']) assert.equal(coerceBool('b', yes), true, String(yes));
  for (const no of [false, 0, 'false', 'False', '0', 'no', 'off']) assert.equal(coerceBool('b', no), false, String(no));
  for (const bad of [2, -1, 'maybe', '', null, [], 0.5]) fails(() => coerceBool('b', bad), ErrorCode.BAD_TYPE, /^field "b" must be true or false/);
});

test('bits are booleans written as 0 and 1', () => {
  assert.equal(coerceBit('value', true), 1);
  assert.equal(coerceBit('value', 'off'), 0);
  assert.equal(coerceBit('value', '1'), 1);
  fails(() => coerceBit('value', 2), ErrorCode.BAD_TYPE, /^field "value" must be 0 or 1 \(also true\/false, "on"\/"off"\), got 2$/);
});

test('enums ignore case and surrounding spaces; an unknown word is out of range, a non-string a bad type', () => {
  const modes = ['input', 'output'] as const;
  assert.equal(coerceEnum('mode', ' Output ', modes), 'output');
  fails(() => coerceEnum('mode', 'out', modes), ErrorCode.OUT_OF_RANGE, /^field "mode" must be one of input, output, got "out"$/);
  fails(() => coerceEnum('mode', 1, modes), ErrorCode.BAD_TYPE);
});

test('pins: a GPIO number 0-63 or "LED" in any case', () => {
  assert.equal(coercePin('pin', 0), 0);
  assert.equal(coercePin('pin', '28'), 28);
  assert.equal(coercePin('pin', 'led'), LED_PIN);
  assert.equal(coercePin('pin', ' LED '), LED_PIN);
  fails(() => coercePin('pin', 64), ErrorCode.OUT_OF_RANGE, /between 0 and 63/);
  fails(() => coercePin('pin', 'GP2'), ErrorCode.BAD_TYPE, /^field "pin" must be a GPIO number or "LED", got "GP2"$/);
  fails(() => coercePin('pin', false), ErrorCode.BAD_TYPE);
});

test('long values are shortened in messages', () => {
  const long = 'a'.repeat(100);
  fails(() => coercePin('pin', long), ErrorCode.BAD_TYPE, new RegExp(`got "${'a'.repeat(40)}…"$`));
  fails(() => coerceInt('n', { x: 1 }, 0, 1), ErrorCode.BAD_TYPE, /got an object$/);
  fails(() => coerceInt('n', null, 0, 1), ErrorCode.BAD_TYPE, /got null$/);
});

test('update files: names are safe relative paths, contents strings', () => {
  assert.deepEqual(coerceFiles('files', { 'main.py': 'x', 'lib/a_b-c.py': '' }), { 'main.py': 'x', 'lib/a_b-c.py': '' });
  for (const name of ['../x', '/x', 'a/../b', 'a//b', 'a/', '.', './a', 'a/./b', 'a b', '', 'ü', 'x'.repeat(65), 'C:\\x']) {
    fails(() => coerceFiles('files', { [name]: 'x' }), ErrorCode.UPDATE_FILE, /unsafe file name/);
  }
  fails(() => coerceFiles('files', {}), ErrorCode.OUT_OF_RANGE, /at least one file/);
  fails(() => coerceFiles('files', { 'a.py': null }), ErrorCode.BAD_TYPE, /^field "files\.a\.py" must be a string/);
  fails(() => coerceFiles('files', 'a.py'), ErrorCode.BAD_TYPE);
});

test('update digests: 64 hex digits per safe name, lowered', () => {
  const digest = 'AB'.repeat(32);
  assert.deepEqual(coerceHashes('sha256', { 'main.py': digest }), { 'main.py': 'ab'.repeat(32) });
  assert.deepEqual(coerceHashes('sha256', {}), {});
  fails(() => coerceHashes('sha256', { 'main.py': 'ab'.repeat(31) }), ErrorCode.BAD_TYPE, /SHA-256 digest \(64 hex digits\)/);
  fails(() => coerceHashes('sha256', { 'main.py': 'g'.repeat(64) }), ErrorCode.BAD_TYPE);
  fails(() => coerceHashes('sha256', { '../main.py': digest }), ErrorCode.UPDATE_FILE);
  fails(() => coerceHashes('sha256', [digest]), ErrorCode.BAD_TYPE);
});

test('coerceField dispatches on the field type', () => {
  assert.equal(coerceField('n', { kind: 'int', min: 0, max: 9 }, '3'), 3);
  assert.equal(coerceField('n', { kind: 'number', min: 0, max: 9 }, '3.5'), 3.5);
  assert.equal(coerceField('b', { kind: 'bool' }, 'on'), true);
  assert.equal(coerceField('b', { kind: 'bit' }, 'on'), 1);
  assert.equal(coerceField('e', { kind: 'enum', values: ['a', 'b'] }, 'B'), 'b');
  assert.equal(coerceField('p', { kind: 'pin' }, 'Led'), LED_PIN);
  assert.deepEqual(coerceField('f', { kind: 'files' }, { a: 'b' }), { a: 'b' });
  assert.deepEqual(coerceField('h', { kind: 'hashes' }, { a: '0'.repeat(64) }), { a: '0'.repeat(64) });
});
