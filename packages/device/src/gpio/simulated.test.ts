import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { adcU16ToVolts, sensorVoltsToCelsius } from './backend.js';
import { SimulatedBackend } from './simulated.js';

/** A seeded PRNG (mulberry32) so the random walk is the same on every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function celsius(value: number): number {
  return sensorVoltsToCelsius(adcU16ToVolts(value));
}

test('the Pico W pin set: GPIO 0-22, 26-28 and the output-only LED', () => {
  const backend = new SimulatedBackend();
  assert.equal(backend.pins.length, 27);
  assert.equal(backend.capabilities(23), undefined);
  assert.deepEqual(backend.capabilities('LED'), { input: false, pwm: false });
  assert.deepEqual(backend.capabilities(28), { input: true, pwm: true });
});

test('the internal temperature reads around 25 °C and drifts slowly over hours of readings', () => {
  let now = 0;
  const backend = new SimulatedBackend({ now: () => now, random: seededRandom(42) });
  const readings: number[] = [];
  for (let i = 0; i < 8 * 3600; i++) {
    now += 1000; // one reading per second for eight hours
    readings.push(celsius(backend.readAdc(4)));
  }
  const mean = readings.reduce((a, b) => a + b, 0) / readings.length;
  assert.ok(Math.abs(mean - 25) < 1, `mean ${mean.toFixed(2)} °C is near ambient`);
  assert.ok(Math.min(...readings) > 19 && Math.max(...readings) < 31, 'every reading is plausible for a board on a desk');
  // From one second to the next the die barely moves: differences are conversion noise
  // (about ±1 °C at most), never jumps.
  let largestStep = 0;
  for (let i = 1; i < readings.length; i++) largestStep = Math.max(largestStep, Math.abs((readings[i] ?? 0) - (readings[i - 1] ?? 0)));
  assert.ok(largestStep < 2.5, `largest step ${largestStep.toFixed(2)} °C`);
  // But it does drift: hourly averages are not all the same.
  const hourly = Array.from({ length: 8 }, (_, h) => readings.slice(h * 3600, (h + 1) * 3600).reduce((a, b) => a + b, 0) / 3600);
  assert.ok(Math.max(...hourly) - Math.min(...hourly) > 0.2, 'hourly averages differ: the temperature drifts');
});

test('the die temperature stays bounded even after a long gap between readings', () => {
  let now = 0;
  const backend = new SimulatedBackend({ now: () => now, random: seededRandom(7) });
  for (let i = 0; i < 1000; i++) {
    now += 86_400_000; // a day between readings
    const t = backend.adc.temperatureC();
    assert.ok(t >= 21 && t <= 29, `die at ${t.toFixed(2)} °C`);
  }
});

test('ADC channel 3 reads about VSYS/3, channels 0-2 the voltage set on them', () => {
  const backend = new SimulatedBackend({ random: seededRandom(1) });
  const vsys = adcU16ToVolts(backend.readAdc(3));
  assert.ok(Math.abs(vsys - 1.65) < 0.02, `VSYS/3 reads ${vsys}`);
  backend.setAdcVoltage(1, 2.5);
  assert.ok(Math.abs(adcU16ToVolts(backend.readAdc(1)) - 2.5) < 0.02);
  assert.ok(adcU16ToVolts(backend.readAdc(0)) < 0.02, 'an unset input reads about 0 V');
  assert.throws(() => backend.setAdcVoltage(3, 1), /no external input/);
  assert.throws(() => backend.setAdcVoltage(0, 5), /between 0 and 3.3 V/);
});

test('readings have the 12-bit resolution of read_u16', () => {
  const backend = new SimulatedBackend({ random: seededRandom(3) });
  for (let i = 0; i < 50; i++) {
    const value = backend.readAdc(3);
    assert.equal(value >> 4, (value >> 4) & 0xfff);
    assert.equal(value & 0xf, value >> 12, 'low nibble repeats the top bits, as read_u16 scales');
  }
});

test('writes are recorded with timestamps and the history is bounded', () => {
  let now = 1000;
  const backend = new SimulatedBackend({ now: () => now, historyLimit: 10 });
  const seen: string[] = [];
  const stop = backend.onWrite((w) => seen.push(`${String(w.pin)}:${w.kind}`));
  backend.configureOutput(2, 1);
  now = 2000;
  backend.setPwm(3, 500, 1000);
  assert.deepEqual(backend.history, [
    { time: 1000, pin: 2, kind: 'level', level: 1 },
    { time: 2000, pin: 3, kind: 'pwm', freqHz: 500, dutyU16: 1000 },
  ]);
  assert.deepEqual(backend.pinState(3).pwm, { freqHz: 500, dutyU16: 1000 });
  stop();
  for (let i = 0; i < 200; i++) backend.write(2, (i % 2) as 0 | 1);
  assert.equal(backend.history.length, 10);
  assert.equal(backend.history.at(-1)?.kind, 'level');
  assert.deepEqual(seen, ['2:level', '3:pwm']);
});

test('only inputs report level changes, and only real changes', () => {
  const backend = new SimulatedBackend();
  const changes: string[] = [];
  backend.onInputChange((pin, level) => changes.push(`${String(pin)}=${level}`));
  backend.setInputLevel(4, 0); // not an input yet
  backend.configureInput(4, 'up');
  assert.equal(backend.read(4), 0, 'the button holds it low');
  backend.setInputLevel(4, null);
  backend.setInputLevel(4, 1); // pull-up already reads 1: no change
  backend.setInputLevel(4, 0);
  assert.deepEqual(changes, ['4=1', '4=0']);
  backend.reset();
  assert.equal(backend.pinState(4).mode, 'unset');
  assert.equal(backend.pinState(4).external, 0, 'the wiring survives a restart');
});
