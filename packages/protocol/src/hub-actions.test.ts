import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '../test/repo.js';
import { ACTION_NAMES } from './actions.js';
import { validateRequest } from './request.js';
import { ErrorCode, PicolinkError } from './errors.js';
import { HELLO_ACTION, HELLO_FIELDS, helloEcho, helloRequest, validateHello, WELCOME_RESULTS } from './hub-actions.js';

const SPEC = readFileSync(join(findRepoRoot(import.meta.url), 'docs', 'protocol.md'), 'utf8');

function section(anchor: string): string {
  const start = SPEC.indexOf(`<a id="${anchor}"></a>`);
  assert.ok(start >= 0, `docs/protocol.md has no #${anchor}`);
  const next = SPEC.indexOf('<a id=', start + 1);
  return SPEC.slice(start, next === -1 ? undefined : next);
}

test('docs/protocol.md#hello has a row for every hello field, with its required column', () => {
  const text = section('hello');
  for (const [name, spec] of Object.entries(HELLO_FIELDS)) {
    const row = text.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
    assert.ok(row, `no row for hello field "${name}"`);
    assert.equal(row.split('|')[2]?.trim(), spec.required ? 'yes' : 'no', name);
  }
});

test('docs/protocol.md#welcome describes every welcome result', () => {
  const text = section('welcome');
  for (const name of Object.keys(WELCOME_RESULTS)) assert.ok(text.includes(`| \`${name}\` |`), name);
});

test('hello is a request to the hub, not a device action', () => {
  assert.ok(!(ACTION_NAMES as string[]).includes(HELLO_ACTION));
  assert.throws(() => validateRequest({ action: 'hello' }), (err: unknown) => err instanceof PicolinkError && err.code === ErrorCode.UNKNOWN_ACTION);
});

test('helloRequest builds a frame validateHello accepts unchanged', () => {
  const hello = { id: 'h1', device: 'pico-1', token: 't', protocol: 1, firmware: '0.1.0', capabilities: ['pipeline'], boot: 7 };
  const frame = helloRequest(hello);
  assert.deepEqual(Object.keys(frame), ['id', 'action', 'device', 'token', 'protocol', 'firmware', 'capabilities', 'boot']);
  assert.deepEqual(validateHello(frame), hello);
  assert.deepEqual(helloEcho(frame), { id: 'h1', action: 'hello', device: 'pico-1', protocol: 1, firmware: '0.1.0', capabilities: ['pipeline'], boot: 7 });
});
