import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { reconnectDelayMs, sleep } from './backoff.js';

test('reconnect delays stay within the documented bound for every attempt', () => {
  for (let attempt = 0; attempt < 70; attempt++) {
    const bound = Math.min(60_000, 1000 * 2 ** attempt);
    assert.equal(reconnectDelayMs(attempt, 0), 0);
    const top = reconnectDelayMs(attempt, 0.9999999);
    assert.ok(top < bound && top >= bound * 0.999, `attempt ${attempt}: ${top} vs ${bound}`);
  }
  assert.equal(reconnectDelayMs(2, 0.5, { baseMs: 10, maxMs: 25 }), 12);
});

interface ReconnectCase {
  name: string;
  reconnect?: { attempt: number; random: number; delay_ms: number };
}

test('the delays agree with the shared vectors the MicroPython agent also runs (test-vectors/hello.json)', () => {
  const url = new URL('../../../../test-vectors/hello.json', import.meta.url);
  const { cases } = JSON.parse(readFileSync(url, 'utf8')) as { cases: ReconnectCase[] };
  const reconnects = cases.filter((c) => c.reconnect !== undefined);
  assert.ok(reconnects.length > 0);
  for (const c of reconnects) {
    const { attempt, random, delay_ms: delayMs } = c.reconnect as NonNullable<ReconnectCase['reconnect']>;
    assert.equal(reconnectDelayMs(attempt, random), delayMs, c.name);
  }
});

test('sleep ends early when its signal aborts', async () => {
  const stop = new AbortController();
  const started = performance.now();
  setTimeout(() => stop.abort(), 20);
  await sleep(10_000, stop.signal);
  assert.ok(performance.now() - started < 5000);
  await sleep(10_000, stop.signal);
});
