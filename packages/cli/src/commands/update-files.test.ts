import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { PicolinkError } from '@picolink/protocol';
import { allText, parseChecksums } from './update-files.js';

const A = 'a'.repeat(64);
const B = 'B'.repeat(64);

test('parseChecksums reads sha256sum output: text and binary mode, ./ prefixes, upper-case hex, blank lines', () => {
  const sums = parseChecksums(`${A}  main.py\n\n${B} *./lib/util.mpy\n`, 'SUMS');
  assert.deepEqual([...sums], [
    ['main.py', A],
    ['lib/util.mpy', 'b'.repeat(64)],
  ]);
});

test('parseChecksums names the line that is not "SHA256  NAME"', () => {
  assert.throws(
    () => parseChecksums(`${A}  main.py\nmain.py ${A}\n`, 'SUMS'),
    (err: unknown) => err instanceof PicolinkError && err.code === 'PL_ERR_USAGE' && err.message === 'SUMS line 2 is not "SHA256  NAME" (as sha256sum prints it)',
  );
});

test('allText: UTF-8 files travel as text, anything else needs compression', () => {
  const file = (content: Buffer) => ({ name: 'f', content, sha256: '' });
  assert.equal(allText([file(Buffer.from('print("é")\n'))]), true);
  assert.equal(allText([file(Buffer.from('ok')), file(Buffer.from([0x4d, 0x06, 0xff, 0x1f]))]), false);
});
