import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { replyTo } from './replies.js';
import { withDelimiter } from './delimiter.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

test('hello, echo and reverse answer as the tutorials do', () => {
  assert.equal(text(replyTo('hello', bytes('test'))), 'hello, test');
  assert.equal(text(replyTo('echo', bytes('test'))), 'test');
  assert.equal(text(replyTo('reverse', bytes('hello world'))), 'dlrow olleh');
});

test('reverse works on bytes and leaves the message alone', () => {
  const message = Uint8Array.of(1, 2, 0xff);
  assert.deepEqual([...replyTo('reverse', message)], [0xff, 2, 1]);
  assert.deepEqual([...message], [1, 2, 0xff]);
});

test('withDelimiter appends the delimiter byte, or nothing for none', () => {
  assert.deepEqual([...withDelimiter(bytes('ok'), 'nul')], [0x6f, 0x6b, 0]);
  assert.deepEqual([...withDelimiter(bytes('ok'), 'lf')], [0x6f, 0x6b, 0x0a]);
  assert.deepEqual([...withDelimiter(bytes('ok'), 'none')], [0x6f, 0x6b]);
});
