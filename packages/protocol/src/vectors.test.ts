// Runs every shared test vector file (test-vectors/*.json) through this codec. The
// MicroPython agent's tests read the same files, so both codecs agree byte for byte.
import { describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '../test/repo.js';
import { LineDecoder, parseFrame } from './framing.js';
import { validateRequest } from './request.js';
import { errorResponse, messageKind, successResponse } from './messages.js';
import { ErrorCode, exceptionNameFor, PicolinkError } from './errors.js';
import { ACTION_NAMES } from './actions.js';
import type { ErrorCodeValue } from './errors.js';
import { encodeTelemetry, encodeTelemetryAck, parseTelemetry, parseTelemetryAck } from './telemetry.js';
import type { MacLookup, TelemetryAck, TelemetryDatagram } from './telemetry.js';
import { readWelcome, validateHello, welcomeResponse } from './hub-actions.js';
import type { WelcomeFields } from './hub-actions.js';

const VECTOR_DIR = join(findRepoRoot(import.meta.url), 'test-vectors');

interface VectorFile<C> {
  description: string;
  cases: (C & { name: string })[];
}

function load<C>(file: string): VectorFile<C> {
  return JSON.parse(readFileSync(join(VECTOR_DIR, file), 'utf8')) as VectorFile<C>;
}

/** Runs `fn` and returns the code of the PicolinkError it throws. */
function thrownCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof PicolinkError) return err.code;
    throw err;
  }
  return assert.fail('expected an error, got none');
}

function hmacHex(keyHex: string, text: string): string {
  return createHmac('sha256', Buffer.from(keyHex, 'hex')).update(text, 'utf8').digest('hex');
}

type Chunk = { text: string } | { hex: string };
type Output = { line: string } | { error: string };

interface FramingCase {
  max_frame_bytes: number;
  chunks: Chunk[];
  outputs: Output[][];
  buffered_bytes: number;
}

function chunkBytes(chunk: Chunk): Uint8Array {
  return 'text' in chunk ? new TextEncoder().encode(chunk.text) : new Uint8Array(Buffer.from(chunk.hex, 'hex'));
}

function runFramingCase(c: FramingCase): void {
  assert.equal(c.outputs.length, c.chunks.length, 'one output list per chunk');
  const decoder = new LineDecoder({ maxFrameBytes: c.max_frame_bytes });
  c.chunks.forEach((chunk, i) => {
    const got = decoder.push(chunkBytes(chunk)).map((out): Output => (out.error ? { error: out.error.code } : { line: out.line }));
    assert.deepEqual(got, c.outputs[i], `outputs of chunk ${i}`);
  });
  assert.equal(decoder.bufferedBytes, c.buffered_bytes);
}

interface FramesCase {
  line?: string;
  /** [text, times] pairs: a long line written short. */
  line_parts?: Array<[string, number]>;
  frame?: Record<string, unknown>;
  kind?: string;
  error?: string;
}

function runFramesCase(c: FramesCase): void {
  const line = c.line ?? (c.line_parts ?? []).map(([text, times]) => text.repeat(times)).join('');
  if (c.error !== undefined) {
    assert.equal(thrownCode(() => parseFrame(line)), c.error);
    return;
  }
  const frame = parseFrame(line);
  if (c.frame !== undefined || c.line_parts === undefined) assert.deepEqual(frame, c.frame);
  assert.equal(messageKind(frame), c.kind);
}

interface RequestsCase {
  request: Record<string, unknown>;
  valid?: Record<string, unknown>;
  error?: { code: string; message?: string };
}

function runRequestsCase(c: RequestsCase): void {
  if (c.error === undefined) {
    assert.deepEqual(validateRequest(c.request), c.valid);
    return;
  }
  const expected = c.error;
  assert.throws(
    () => validateRequest(c.request),
    (err: unknown) => {
      if (!(err instanceof PicolinkError)) return false;
      assert.equal(err.code, expected.code, err.message);
      if (expected.message !== undefined) assert.equal(err.message, expected.message);
      return true;
    },
  );
}

interface ResponsesCase {
  request: Record<string, unknown> | null;
  results?: Record<string, unknown>;
  time_received?: number;
  error?: { code: ErrorCodeValue; message: string };
  response: Record<string, unknown>;
}

function runResponsesCase(c: ResponsesCase): void {
  const before = JSON.stringify(c.request);
  if (c.error === undefined) {
    const { request, results, time_received: timeReceived } = c;
    if (request === null || results === undefined || timeReceived === undefined) assert.fail('a success case needs request, results and time_received');
    assert.deepEqual(successResponse(request, results, timeReceived), c.response);
  } else {
    assert.deepEqual(errorResponse(c.request, new PicolinkError(c.error.code, c.error.message)), c.response);
  }
  assert.equal(JSON.stringify(c.request), before, 'building a response must not change the request');
}

interface TelemetryCase {
  kind: 'datagram' | 'ack';
  message?: Record<string, unknown>;
  key_hex?: string;
  unsigned_text?: string;
  mac?: string;
  text: string;
  receiver_keys: Record<string, string>;
  parsed?: { message: Record<string, unknown>; authenticated: boolean };
  error?: string;
}

function runTelemetryCase(c: TelemetryCase): void {
  const keyHex = c.key_hex;
  const sign = keyHex === undefined ? undefined : (text: string) => hmacHex(keyHex, text);
  const encode = (message: Record<string, unknown>, signer?: (text: string) => string): string =>
    c.kind === 'ack' ? encodeTelemetryAck(message as unknown as TelemetryAck, signer) : encodeTelemetry(message as unknown as TelemetryDatagram, signer);
  if (c.message !== undefined) assert.equal(encode(c.message, sign), c.text, 'encoded text');
  if (c.unsigned_text !== undefined) {
    const { message, mac } = c;
    if (keyHex === undefined || message === undefined || mac === undefined) assert.fail('a signing case needs key_hex, message and mac');
    assert.equal(encode(message), c.unsigned_text, 'signed bytes');
    assert.equal(hmacHex(keyHex, c.unsigned_text), mac, 'mac');
  }
  const macFor: MacLookup = (device, text) => {
    const key = Object.prototype.hasOwnProperty.call(c.receiver_keys, device) ? c.receiver_keys[device] : undefined;
    return key === undefined ? undefined : hmacHex(key, text);
  };
  const parse = () => (c.kind === 'ack' ? parseTelemetryAck(c.text, macFor) : parseTelemetry(c.text, macFor));
  if (c.error !== undefined) {
    assert.equal(thrownCode(parse), c.error);
    return;
  }
  assert.deepEqual(parse(), c.parsed);
}

interface HelloCase {
  hello?: Record<string, unknown>;
  valid?: Record<string, unknown>;
  error?: { code: string; message?: string };
  welcome?: { hello: Record<string, unknown>; results: WelcomeFields; time_received: number; response: Record<string, unknown> };
  read_welcome?: { response: Record<string, unknown>; welcome?: Record<string, unknown>; error?: string };
  reconnect?: { attempt: number; random: number; delay_ms: number };
}

function runHelloCase(c: HelloCase): void {
  if (c.hello !== undefined) {
    const frame = c.hello;
    if (c.error === undefined) return assert.deepEqual(validateHello(frame), c.valid);
    const expected = c.error;
    assert.throws(
      () => validateHello(frame),
      (err: unknown) => {
        if (!(err instanceof PicolinkError)) return false;
        assert.equal(err.code, expected.code, err.message);
        if (expected.message !== undefined) assert.equal(err.message, expected.message);
        return true;
      },
    );
    return;
  }
  if (c.welcome !== undefined) {
    const { hello, results, time_received: timeReceived, response } = c.welcome;
    return assert.deepEqual(welcomeResponse(hello, results, timeReceived), response);
  }
  if (c.read_welcome !== undefined) {
    const { response, welcome, error } = c.read_welcome;
    if (error !== undefined) return assert.equal(thrownCode(() => readWelcome(response)), error);
    return assert.deepEqual(readWelcome(response), welcome);
  }
  assert.fail('a hello.json case needs hello, welcome or read_welcome (reconnect cases are run by @picolink/net)');
}

const RUNNERS: Record<string, (c: never) => void> = {
  'framing.json': runFramingCase,
  'frames.json': runFramesCase,
  'requests.json': runRequestsCase,
  'responses.json': runResponsesCase,
  'telemetry.json': runTelemetryCase,
  'hello.json': runHelloCase,
};

const files = readdirSync(VECTOR_DIR).filter((name) => name.endsWith('.json')).sort();

test('every vector file has a runner', () => {
  assert.deepEqual(files, Object.keys(RUNNERS).sort());
});

for (const file of files) {
  const vectors = load<Record<string, unknown>>(file);
  const run = RUNNERS[file];
  describe(file, () => {
    test('has a description and uniquely named cases', () => {
      assert.ok(typeof vectors.description === 'string' && vectors.description.length > 0);
      assert.ok(vectors.cases.length > 0);
      const names = vectors.cases.map((c) => c.name);
      assert.equal(new Set(names).size, names.length, 'case names are unique');
    });
    for (const c of vectors.cases) {
      // The reconnect backoff is not a codec rule: @picolink/net's backoff.test.ts runs those cases.
      if (file === 'hello.json' && c.reconnect !== undefined) continue;
      test(c.name, () => {
        assert.ok(run, `no runner for ${file}`);
        (run as (c: unknown) => void)(c);
      });
    }
  });
}

test('responses.json maps every error code to its Python exception name', () => {
  const { exceptions } = JSON.parse(readFileSync(join(VECTOR_DIR, 'responses.json'), 'utf8')) as { exceptions: Record<string, string> };
  assert.deepEqual(Object.keys(exceptions).sort(), Object.values(ErrorCode).sort());
  for (const code of Object.values(ErrorCode)) assert.equal(exceptionNameFor(code), exceptions[code], code);
});

test('requests.json has a valid case for every action', () => {
  const { cases } = load<RequestsCase>('requests.json');
  const covered = new Set(cases.map((c) => c.valid?.action));
  assert.deepEqual(ACTION_NAMES.filter((action) => !covered.has(action)), []);
});
