import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { TerminalCore } from './terminal-core.js';
import type { DisplayLine } from './terminal-core.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const data = (lines: DisplayLine[]): string[] => lines.map((l) => `${l.kind === 'status' ? 'S ' : ''}${l.text}`);

test('a typed line gets the chosen line ending', () => {
  const cases = { lf: [0x67, 0x6f, 0x0a], crlf: [0x67, 0x6f, 0x0d, 0x0a], nul: [0x67, 0x6f, 0x00], none: [0x67, 0x6f] } as const;
  for (const [eol, expected] of Object.entries(cases)) {
    assert.deepEqual([...new TerminalCore({ eol: eol as keyof typeof cases }).encodeLine('go')], expected, eol);
  }
});

test('text mode: lines end at LF, CR LF or NUL; an unfinished line waits for flush', () => {
  const core = new TerminalCore();
  assert.deepEqual(data(core.receive(bytes('one\r\ntwo\0thr'))), ['one', 'two']);
  assert.equal(core.pendingLineBytes, 3);
  assert.deepEqual(data(core.receive(bytes('ee'))), []);
  assert.deepEqual(data(core.flush()), ['three']);
  assert.deepEqual(data(core.flush()), []);
});

test('a CR LF split across two chunks is still one line end', () => {
  const core = new TerminalCore();
  assert.deepEqual(data(core.receive(bytes('line\r'))), []);
  assert.deepEqual(data(core.receive(bytes('\nnext\n'))), ['line', 'next']);
});

test('a datagram is shown whole, and a new sender is named', () => {
  const core = new TerminalCore();
  assert.deepEqual(data(core.receive(bytes('hello, test'), { whole: true, source: '10.0.0.2:5000' })), ['S * from 10.0.0.2:5000', 'hello, test']);
  assert.deepEqual(data(core.receive(bytes('again'), { whole: true, source: '10.0.0.2:5000' })), ['again']);
  assert.deepEqual(data(core.receive(bytes('other'), { whole: true, source: '10.0.0.3:5000' })), ['S * from 10.0.0.3:5000', 'other']);
});

test('hex mode dumps each chunk at once', () => {
  const core = new TerminalCore({ hex: true });
  assert.deepEqual(data(core.receive(bytes('hi\0'))), ['0000  68 69 00                                          |hi.|']);
});

test('timestamps go before data and status lines', () => {
  const core = new TerminalCore({ timestamps: true, utc: true, now: () => Date.UTC(2024, 0, 1, 12, 30, 0, 5) });
  assert.deepEqual(data(core.receive(bytes('x\n'))), ['12:30:00.005 x']);
  assert.equal(core.status('connected').text, '12:30:00.005 * connected');
});

test('a line longer than maxLineBytes is shown anyway: memory stays bounded', () => {
  const core = new TerminalCore({ maxLineBytes: 8 });
  assert.deepEqual(data(core.receive(bytes('0123456789abc'))), ['0123456789abc']);
  assert.equal(core.pendingLineBytes, 0);
});

test('control bytes from the peer are escaped', () => {
  const core = new TerminalCore();
  assert.deepEqual(data(core.receive(bytes('\x1b[31mred\n'))), ['\\x1b[31mred']);
});
