/**
 * The network tools log as the page renders it, in Node: bytes through the same
 * `@picolink/nettools/core` display as `picolink term` (escapes, hex dump), info lines as
 * text whether the hub sends them base64-encoded or not, long entries cut on the page but
 * whole in the copied or downloaded text.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { escapeBytes, hexDump } from '@picolink/nettools/core';
import { entrySize, entryText, infoText, logText } from '../src/nettools/render.js';
import type { LogEntry } from '../src/nettools/types.js';

const entry = (dir: LogEntry['dir'], bytes: string | Buffer, peer?: string): LogEntry => ({
  seq: 1,
  t: new Date(2026, 0, 2, 3, 4, 5, 67).getTime(),
  dir,
  ...(peer === undefined ? {} : { peer }),
  data: Buffer.from(bytes).toString('base64'),
});

test('bytes show as picolink term shows them: control bytes escaped, or a hex dump', () => {
  const go = entry('in', 'go\0\x1b[2J\r\n');
  assert.equal(entryText(go, 'text'), 'go\\0\\x1b[2J\\r\\n');
  assert.equal(entryText(go, 'text'), escapeBytes(Buffer.from('go\0\x1b[2J\r\n')));
  assert.equal(entryText(go, 'hex'), hexDump(Buffer.from('go\0\x1b[2J\r\n')).join('\n'));
  assert.equal(entryText(entry('in', Buffer.of(0xff, 0x68)), 'text'), '\\xffh', 'bytes that are not UTF-8');
  assert.equal(entryText(entry('in', ''), 'hex'), '(empty)');
});

test('info lines are text, base64-encoded by the hub or not', () => {
  assert.equal(infoText(entry('info', 'peer p1 connected from 127.0.0.1:5000')), 'peer p1 connected from 127.0.0.1:5000');
  assert.equal(infoText({ seq: 1, t: 0, dir: 'info', data: 'closed by peer' }), 'closed by peer');
  assert.equal(entryText(entry('info', 'stopped'), 'hex'), 'stopped', 'an info line is never a hex dump');
});

test('a long entry is cut on the page, whole in the log text', () => {
  const big = entry('in', Buffer.alloc(5000, 0x41), '10.0.0.2:80');
  assert.equal(entrySize(big), 5000);
  assert.equal(entryText(big, 'text', 1024), `${'A'.repeat(1024)}… 3976 more bytes`);
  assert.match(entryText(big, 'hex', 32), /^0000 {2}41[\s\S]*\n… 4968 more bytes$/);
  const text = logText([big, entry('out', 'hi\n', '10.0.0.2:80'), entry('info', 'stopped')], 'text');
  assert.equal(text, `03:04:05.067 in 10.0.0.2:80 ${'A'.repeat(5000)}\n03:04:05.067 out 10.0.0.2:80 hi\\n\n03:04:05.067 info stopped\n`);
  assert.equal(logText([entry('in', 'hi')], 'hex'), `03:04:05.067 in\n  ${hexDump(Buffer.from('hi'))[0] ?? ''}\n`);
});
