import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { encodeFrame, LineDecoder, parseFrame } from './framing.js';
import type { DecodedLine } from './framing.js';
import { ErrorCode, PicolinkError } from './errors.js';
import { DEFAULT_MAX_FRAME_BYTES } from './version.js';

const utf8 = new TextEncoder();

/** Lines as text and errors as their code, for comparing decoder output. */
function summarize(results: DecodedLine[]): string[] {
  return results.map((r) => (r.error ? `error:${r.error.code}` : `line:${r.line}`));
}

/** Small deterministic PRNG (mulberry32), so a failing split can be reproduced from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('encodeFrame writes compact JSON and one newline', () => {
  assert.equal(encodeFrame({ id: 1, action: 'ping' }), '{"id":1,"action":"ping"}\n');
  assert.equal(encodeFrame({ s: 'a\nb' }), '{"s":"a\\nb"}\n', 'a newline inside a string is escaped, so it cannot end the frame');
});

test('an encoded frame decodes back to the same object', () => {
  const message = { id: 'x', action: 'write_pin', pin: 'LED', value: 1, note: 'é€😀\r\n' };
  const results = new LineDecoder().push(utf8.encode(encodeFrame(message)));
  assert.equal(results.length, 1);
  const line = results[0]?.line;
  assert.ok(line !== undefined);
  assert.deepEqual(parseFrame(line), message);
});

test('the default limit is 64 KiB: a 65536-byte line passes, 65537 bytes do not', () => {
  const decoder = new LineDecoder();
  assert.equal(decoder.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES);
  assert.equal(DEFAULT_MAX_FRAME_BYTES, 65536);
  const fits = `{"p":"${'a'.repeat(65536 - 8)}"}`;
  assert.equal(utf8.encode(fits).length, 65536);
  assert.deepEqual(summarize(decoder.push(utf8.encode(fits + '\n'))), [`line:${fits}`]);
  assert.deepEqual(summarize(decoder.push(utf8.encode(fits + ' \n'))), [`error:${ErrorCode.FRAME_TOO_LARGE}`]);
});

test('memory stays bounded when a peer never sends a newline', () => {
  const decoder = new LineDecoder({ maxFrameBytes: 1024 });
  const chunk = new Uint8Array(4096).fill(0x61);
  const errors: DecodedLine[] = [];
  for (let i = 0; i < 256; i++) {
    errors.push(...decoder.push(chunk));
    assert.ok(decoder.bufferedBytes <= 1024);
  }
  assert.deepEqual(summarize(errors), [`error:${ErrorCode.FRAME_TOO_LARGE}`], 'one error for the whole over-long line');
  assert.deepEqual(summarize(decoder.push(utf8.encode('\n{"id":1}\n'))), ['line:{"id":1}'], 'decoding resumes after the newline');
});

test('the too-large error says what the limit is and what to do', () => {
  const [result] = new LineDecoder({ maxFrameBytes: 10 }).push(utf8.encode('x'.repeat(11)));
  assert.ok(result?.error instanceof PicolinkError);
  assert.match(result.error.message, /larger than 10 bytes; split the request or raise the peer's frame limit/);
});

test('the decoder keeps its own copy of a held line, so callers may reuse chunk memory', () => {
  const decoder = new LineDecoder();
  const chunk = utf8.encode('{"a":');
  decoder.push(chunk);
  chunk.fill(0x20);
  assert.deepEqual(summarize(decoder.push(utf8.encode('1}\n'))), ['line:{"a":1}']);
});

test('reset() drops an unfinished line, e.g. when a connection closes', () => {
  const decoder = new LineDecoder({ maxFrameBytes: 8 });
  decoder.push(utf8.encode('{"a":'));
  assert.equal(decoder.bufferedBytes, 5);
  decoder.reset();
  assert.equal(decoder.bufferedBytes, 0);
  assert.deepEqual(summarize(decoder.push(utf8.encode('{}\n'))), ['line:{}']);
  decoder.push(utf8.encode('0123456789'));
  decoder.reset();
  assert.deepEqual(summarize(decoder.push(utf8.encode('{}\n'))), ['line:{}'], 'reset also ends discarding an over-long line');
});

test('parseFrame gives coded errors a person can act on', () => {
  assert.throws(() => parseFrame('{"action":'), (err: unknown) => err instanceof PicolinkError && err.code === ErrorCode.BAD_JSON && err.message.startsWith('invalid JSON: '));
  assert.throws(
    () => parseFrame('[]'),
    (err: unknown) => err instanceof PicolinkError && err.code === ErrorCode.NOT_OBJECT && err.message.includes('{"action": "ping"}'),
  );
});

test('random chunk splits of one stream give the same lines (seeded, bounded)', () => {
  const parts: Uint8Array[] = [
    utf8.encode('{"id":1,"action":"ping"}\n'),
    utf8.encode('\r\n  \n'),
    utf8.encode('{"s":"é€😀"}\r\n'),
    utf8.encode(`${'x'.repeat(100)}\n`),
    new Uint8Array([0xff, 0xfe, 0x0a]),
    utf8.encode('{"id":2,"s":"\\u00e9"}\n\n'),
    new Uint8Array([0xe2, 0x82, 0x0a]),
    utf8.encode(`${'y'.repeat(64)}\r\n`),
    utf8.encode(`${'z'.repeat(64)}\n`),
    utf8.encode('{"id":3'),
  ];
  const stream = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    stream.set(part, offset);
    offset += part.length;
  }
  const whole = new LineDecoder({ maxFrameBytes: 64 });
  const expected = summarize(whole.push(stream));
  assert.deepEqual(expected, [
    'line:{"id":1,"action":"ping"}',
    'line:{"s":"é€😀"}',
    `error:${ErrorCode.FRAME_TOO_LARGE}`,
    `error:${ErrorCode.BAD_UTF8}`,
    'line:{"id":2,"s":"\\u00e9"}',
    `error:${ErrorCode.BAD_UTF8}`,
    `error:${ErrorCode.FRAME_TOO_LARGE}`,
    `line:${'z'.repeat(64)}`,
  ]);
  assert.equal(whole.bufferedBytes, 7);

  for (let seed = 1; seed <= 300; seed++) {
    const random = prng(seed);
    const decoder = new LineDecoder({ maxFrameBytes: 64 });
    const got: DecodedLine[] = [];
    let start = 0;
    while (start < stream.length) {
      const size = random() < 0.2 ? 0 : 1 + Math.floor(random() * 24);
      const end = Math.min(stream.length, start + size);
      got.push(...decoder.push(stream.subarray(start, end)));
      start = end;
    }
    assert.deepEqual(summarize(got), expected, `seed ${seed}`);
    assert.equal(decoder.bufferedBytes, 7, `seed ${seed}`);
  }
});
