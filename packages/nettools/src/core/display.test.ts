import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { escapeBytes, formatClock, hexDump, previewBytes } from './display.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

test('escapeBytes shows text as text and control bytes escaped, so a peer cannot drive the terminal', () => {
  assert.equal(escapeBytes(bytes('hello, wörld\ttab')), 'hello, wörld\ttab');
  assert.equal(escapeBytes(bytes('a\0b\r\n\x1b[2J')), 'a\\0b\\r\\n\\x1b[2J');
  assert.equal(escapeBytes(bytes('\u0085')), '\\x85', 'C1 controls are escaped too');
  assert.equal(escapeBytes(Uint8Array.of(0x68, 0x69, 0xff, 0xc3)), 'hi\\xff\\xc3', 'bytes that are not UTF-8');
});

test('previewBytes quotes and shortens long messages', () => {
  assert.equal(previewBytes(bytes('test')), '"test"');
  const long = previewBytes(new Uint8Array(1000).fill(0x61), 10);
  assert.equal(long, '"aaaaaaaaaa"… (1000 bytes)');
});

test('hexDump: offset, two groups of eight, printable ASCII', () => {
  const lines = hexDump(bytes('hello, test\0 and more bytes'));
  assert.deepEqual(lines, [
    '0000  68 65 6c 6c 6f 2c 20 74  65 73 74 00 20 61 6e 64  |hello, test. and|',
    '0010  20 6d 6f 72 65 20 62 79  74 65 73                 | more bytes|',
  ]);
  assert.deepEqual(hexDump(new Uint8Array(0)), []);
});

test('formatClock gives HH:MM:SS.mmm', () => {
  assert.equal(formatClock(Date.UTC(2024, 0, 2, 3, 4, 5, 67), true), '03:04:05.067');
  assert.match(formatClock(Date.now()), /^\d\d:\d\d:\d\d\.\d{3}$/);
});
