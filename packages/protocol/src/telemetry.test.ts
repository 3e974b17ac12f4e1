import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHmac, randomBytes } from 'node:crypto';
import { DEVICE_ID_PATTERN, encodeTelemetry, encodeTelemetryAck, inspectTelemetry, parseTelemetry, parseTelemetryAck, peekTelemetry } from './telemetry.js';
import type { MacLookup, TelemetryAck, TelemetryDatagram } from './telemetry.js';
import { ErrorCode, PicolinkError } from './errors.js';
import { MAX_DATAGRAM_BYTES } from './version.js';

const KEY = randomBytes(32);
const sign = (text: string): string => createHmac('sha256', KEY).update(text, 'utf8').digest('hex');
const keyFor: MacLookup = (device, text) => (device === 'pico-1' ? sign(text) : undefined);

const DATAGRAM: TelemetryDatagram = { v: 1, device: 'pico-1', boot: 99, seq: 5, t: 1000, time: 1_700_000_000_000, readings: { temp_c: 21.5, rssi: -60 } };

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof PicolinkError) return err.code;
    throw err;
  }
  return undefined;
}

test('a signed datagram is the unsigned JSON with ,"mac":"<hex>" before the final }', () => {
  const unsigned = encodeTelemetry(DATAGRAM);
  const signed = encodeTelemetry(DATAGRAM, sign);
  assert.equal(signed, `${unsigned.slice(0, -1)},"mac":"${sign(unsigned)}"}`);
  assert.deepEqual(parseTelemetry(signed, keyFor), { message: DATAGRAM, authenticated: true });
});

test('without a key for the device, a datagram is accepted but not authenticated', () => {
  const signed = encodeTelemetry({ ...DATAGRAM, device: 'pico-2' }, sign);
  assert.deepEqual(parseTelemetry(signed, keyFor), { message: { ...DATAGRAM, device: 'pico-2' }, authenticated: false });
  assert.deepEqual(parseTelemetry(encodeTelemetry(DATAGRAM)), { message: DATAGRAM, authenticated: false });
});

test('with a key, an unsigned or wrongly signed datagram is refused with an actionable message', () => {
  assert.throws(
    () => parseTelemetry(encodeTelemetry(DATAGRAM), keyFor),
    (err: unknown) => err instanceof PicolinkError && err.code === ErrorCode.TELEMETRY_BAD_MAC && err.message.includes('"pico-1"') && err.message.includes('check the device key'),
  );
  const otherKey = randomBytes(32);
  const forged = encodeTelemetry(DATAGRAM, (text) => createHmac('sha256', otherKey).update(text).digest('hex'));
  assert.equal(code(() => parseTelemetry(forged, keyFor)), ErrorCode.TELEMETRY_BAD_MAC);
});

test('changing any character of a signed datagram never yields an authenticated datagram', () => {
  const signed = encodeTelemetry(DATAGRAM, sign);
  for (let i = 0; i < signed.length; i++) {
    const ch = signed[i] === '1' ? '2' : '1';
    const tampered = signed.slice(0, i) + ch + signed.slice(i + 1);
    let outcome: string;
    try {
      const parsed = parseTelemetry(tampered, keyFor);
      // Renaming the device to one without a key gives an unauthenticated datagram, which a
      // receiver that requires authentication drops (docs/protocol.md#telemetry-auth).
      outcome = parsed.authenticated ? 'authenticated' : `unauthenticated from ${parsed.message.device}`;
    } catch (err) {
      outcome = err instanceof PicolinkError ? err.code : String(err);
    }
    assert.ok(
      outcome === ErrorCode.TELEMETRY_BAD_MAC || outcome === ErrorCode.TELEMETRY_MALFORMED || (outcome.startsWith('unauthenticated') && !outcome.endsWith(' pico-1')),
      `position ${i}: ${tampered} gave ${outcome}`,
    );
  }
});

test('acks round-trip, signed and unsigned, and a forged ack is refused', () => {
  const ack: TelemetryAck = { v: 1, device: 'pico-1', boot: 99, ack: 5 };
  assert.equal(encodeTelemetryAck(ack), '{"v":1,"device":"pico-1","boot":99,"ack":5}');
  assert.deepEqual(parseTelemetryAck(encodeTelemetryAck(ack, sign), keyFor), { message: ack, authenticated: true });
  const forged = encodeTelemetryAck(ack, sign).replace('"ack":5', '"ack":6');
  assert.equal(code(() => parseTelemetryAck(forged, keyFor)), ErrorCode.TELEMETRY_BAD_MAC);
  assert.equal(code(() => parseTelemetryAck(encodeTelemetry(DATAGRAM))), ErrorCode.TELEMETRY_MALFORMED, 'a datagram is not an ack');
  assert.equal(code(() => parseTelemetry(encodeTelemetryAck(ack))), ErrorCode.TELEMETRY_MALFORMED, 'an ack is not a datagram');
});

test('the size limit is 4096 bytes', () => {
  assert.equal(MAX_DATAGRAM_BYTES, 4096);
  // A reading with many decimals pads the datagram while staying a finite number.
  const base = encodeTelemetry({ ...DATAGRAM, readings: { x: 0.5 } });
  const digits = MAX_DATAGRAM_BYTES - base.length + 1;
  const fits = base.replace('"x":0.5', `"x":0.${'1'.repeat(digits)}`);
  assert.equal(fits.length, MAX_DATAGRAM_BYTES);
  assert.equal(parseTelemetry(fits).message.seq, DATAGRAM.seq);
  const tooBig = base.replace('"x":0.5', `"x":0.${'1'.repeat(digits + 1)}`);
  assert.equal(code(() => parseTelemetry(tooBig)), ErrorCode.TELEMETRY_MALFORMED);
});

test('malformed datagrams say what is wrong', () => {
  assert.throws(
    () => parseTelemetry('{"v":1,"device":"pico-1","boot":1,"seq":1,"t":1,"readings":{"x":"1"}}'),
    (err: unknown) => err instanceof PicolinkError && err.message === 'malformed telemetry datagram: reading "x" must be a finite number',
  );
  assert.throws(
    () => parseTelemetry('{"v":1,"device":"pico-1","boot":1,"seq":1,"t":1,"readings":{"x":1},"extra":1}'),
    (err: unknown) => err instanceof PicolinkError && err.message === 'malformed telemetry datagram: unknown field "extra"',
  );
});

test('device ids: 1-64 letters, digits, "_", "-", "."', () => {
  for (const ok of ['pico-1', 'a', 'lab.pico_2', 'x'.repeat(64)]) assert.ok(DEVICE_ID_PATTERN.test(ok), ok);
  for (const bad of ['', 'pico 1', 'pico/1', 'x'.repeat(65), 'pï']) assert.ok(!DEVICE_ID_PATTERN.test(bad), bad);
});

test('the MAC is checked before the JSON: a forgery is refused as such even when its body is not valid', () => {
  const forged = `${encodeTelemetry(DATAGRAM).slice(0, -1).replace('21.5', '"x"')},"mac":"${'0'.repeat(64)}"}`;
  const inspection = inspectTelemetry(forged, keyFor);
  assert.equal(inspection.ok, false);
  assert.equal(inspection.ok ? undefined : inspection.code, ErrorCode.TELEMETRY_BAD_MAC);
  assert.equal(inspection.ok ? undefined : inspection.device, 'pico-1', 'names the device whose key did not match');
  assert.equal(code(() => parseTelemetry(forged)), ErrorCode.TELEMETRY_MALFORMED, 'without the key, the body is judged');
});

test('one device key cannot sign for another id given in a second "device" member', () => {
  const text = encodeTelemetry(DATAGRAM).replace('"boot"', '"device":"pico-2","boot"');
  const signed = `${text.slice(0, -1)},"mac":"${sign(text)}"}`;
  assert.equal(code(() => parseTelemetry(signed, keyFor)), ErrorCode.TELEMETRY_MALFORMED);
});

test('inspectTelemetry returns what parseTelemetry throws, without an exception', () => {
  for (const text of ['', 'temp=21.5', '[1]', '{"v":1', ' {"v":2} ', encodeTelemetry({ ...DATAGRAM, seq: -1 })]) {
    const inspection = inspectTelemetry(text, keyFor);
    assert.equal(inspection.ok, false, text);
    assert.equal(inspection.ok ? undefined : inspection.code, code(() => parseTelemetry(text, keyFor)), text);
  }
  const good = encodeTelemetry(DATAGRAM, sign);
  assert.deepEqual(inspectTelemetry(` ${good}\n`, keyFor).ok, false, 'bytes around a signed datagram break its MAC');
  assert.deepEqual(inspectTelemetry(` ${encodeTelemetry(DATAGRAM)}\n`).ok, true, 'JSON whitespace around an unsigned one is fine');
});

test('peekTelemetry reads device, boot and seq from the bytes, or nothing', () => {
  assert.deepEqual(peekTelemetry(encodeTelemetry(DATAGRAM)), { device: 'pico-1', boot: 99, seq: 5 });
  assert.equal(peekTelemetry('{"v":1,"device":"pico-1","boot":99}'), undefined);
  assert.equal(peekTelemetry('{"device":"pic\\u006f-1","boot":1,"seq":2}'), undefined, 'an escaped id is not read');
  assert.equal(peekTelemetry('{"device":"pico-1","boot":1,"seq":99999999999999999999}'), undefined, 'nor a number beyond the safe integers');
});
