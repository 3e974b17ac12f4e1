import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ErrorCode } from '@picolink/protocol';
import { createFramer, isFraming } from './framing.js';
import { encodeSendInput, parseHexInput } from './send-input.js';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

describe('parseHexInput', () => {
  it('reads pairs with or without separators and 0x prefixes', () => {
    for (const input of ['68 65 6c 6c 6f', '68656C6C6F', '0x68,0x65,0x6c,0x6c,0x6f', '68:65-6c\n6c\t6f']) {
      assert.equal(text(parseHexInput(input)), 'hello', input);
    }
    assert.equal(parseHexInput('').length, 0);
  });

  it('refuses odd digit counts and other characters with PL_ERR_BAD_TYPE and the position', () => {
    assert.throws(() => parseHexInput('68 6'), { code: ErrorCode.BAD_TYPE, message: /odd number/ });
    assert.throws(() => parseHexInput('68 zz'), { code: ErrorCode.BAD_TYPE, message: /"z" at position 4/ });
    assert.throws(() => parseHexInput('6 8'), { code: ErrorCode.BAD_TYPE, message: /after a single digit/ });
  });
});

describe('encodeSendInput', () => {
  it('adds the line ending to text and to hex', () => {
    assert.equal(text(encodeSendInput('test', 'text', 'crlf')), 'test\r\n');
    assert.equal(text(encodeSendInput('74 65 73 74', 'hex', 'lf')), 'test\n');
    assert.equal(text(encodeSendInput('go', 'text', 'nul')), 'go\0');
    assert.equal(text(encodeSendInput('go', 'text', 'none')), 'go');
  });
});

describe('createFramer', () => {
  it('cuts crlf at CR LF (and a lone LF), nul at NUL, none per chunk', () => {
    assert.ok(isFraming('crlf') && !isFraming('cr'));
    const crlf = createFramer('crlf');
    assert.deepEqual(crlf.push(Buffer.from('a\r\nb\nc')).map((m) => text(m.message ?? new Uint8Array())), ['a', 'b']);
    assert.deepEqual(createFramer('nul').push(Buffer.from('go\0')).map((m) => text(m.message ?? new Uint8Array())), ['go']);
    assert.equal(createFramer('none').push(Buffer.from('x\ny')).length, 1);
  });
});
