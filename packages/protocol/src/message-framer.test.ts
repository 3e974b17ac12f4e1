import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { MessageFramer } from './framing.js';
import type { FramedMessage } from './framing.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const texts = (results: FramedMessage[]): string[] => results.map((r) => (r.error ? `error ${r.error.code}` : new TextDecoder().decode(r.message)));

test('nul: messages end at NUL bytes, across chunks', () => {
  const framer = new MessageFramer({ delimiter: 'nul' });
  assert.deepEqual(texts(framer.push(bytes('go\0Button pre'))), ['go']);
  assert.equal(framer.bufferedBytes, 10);
  assert.deepEqual(texts(framer.push(bytes('ssed\0\0'))), ['Button pressed', '']);
  assert.equal(framer.bufferedBytes, 0);
});

test('lf: lines, with a CR before the newline dropped', () => {
  const framer = new MessageFramer({ delimiter: 'lf' });
  assert.deepEqual(texts(framer.push(bytes('one\r\ntwo\nthr'))), ['one', 'two']);
  assert.deepEqual(texts(framer.push(bytes('ee\r\n'))), ['three']);
});

test('none: every chunk is one message', () => {
  const framer = new MessageFramer({ delimiter: 'none' });
  assert.deepEqual(texts(framer.push(bytes('test'))), ['test']);
  assert.deepEqual(texts(framer.push(bytes('a\nb\0c'))), ['a\nb\0c']);
  assert.deepEqual(framer.push(new Uint8Array(0)), []);
});

test('a message longer than the limit gives one error; the stream resynchronises at the next delimiter', () => {
  const framer = new MessageFramer({ delimiter: 'lf', maxMessageBytes: 8 });
  const first = framer.push(bytes('0123456789'));
  assert.deepEqual(texts(first), ['error PL_ERR_MESSAGE_TOO_LARGE']);
  assert.match(first[0]?.error?.message ?? '', /larger than 8 bytes without a newline/);
  assert.equal(framer.bufferedBytes, 0, 'nothing held for the oversize message');
  assert.deepEqual(texts(framer.push(bytes('more junk\nok\n'))), ['ok']);
  assert.deepEqual(texts(framer.push(bytes('123456789\n'))), ['error PL_ERR_MESSAGE_TOO_LARGE'], 'too long even when the delimiter is in the same chunk');
});

test('reset drops an unfinished message and says how large it was', () => {
  const framer = new MessageFramer({ delimiter: 'nul' });
  framer.push(bytes('partial'));
  assert.equal(framer.reset(), 7);
  assert.deepEqual(texts(framer.push(bytes('x\0'))), ['x']);
});
