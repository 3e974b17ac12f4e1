import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ErrorCode } from '@picolink/protocol';
import type { PinChangeEvent } from '@picolink/protocol';
import { SimulatedBackend } from '../gpio/simulated.js';
import { PinRegistry } from './registry.js';
import type { PinWatcher } from './watch.js';

const OWNER = 1;
const OTHER = 2;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class RecordingWatcher implements PinWatcher {
  readonly events: PinChangeEvent[] = [];
  deliverPinChange(event: PinChangeEvent): void {
    this.events.push(event);
  }
  summary(): string[] {
    return this.events.map((e) => `${String(e.pin)}=${e.value} ${e.cause}`);
  }
}

function fixture(t: { after(fn: () => void): void }): { backend: SimulatedBackend; pins: PinRegistry } {
  const backend = new SimulatedBackend();
  const pins = new PinRegistry(backend, { uptimeMs: () => 1234 });
  t.after(() => pins.close());
  return { backend, pins };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

test('a lease reverts to the level the pin had before it', async (t) => {
  const { backend, pins } = fixture(t);
  const watcher = new RecordingWatcher();
  pins.setup(5, { mode: 'output', pull: 'none', value: 0 }, OWNER);
  pins.watch(5, watcher, 'both', 0);
  assert.deepEqual(pins.write(5, 1, 40, OWNER), { previous: 0, revertsTo: 0, leaseMs: 40 });
  assert.equal(backend.pinState(5).driven, 1);
  await delay(90);
  assert.equal(backend.pinState(5).driven, 0);
  assert.equal(pins.read(5), 0);
  assert.deepEqual(watcher.summary(), ['5=1 write', '5=0 lease']);
  assert.equal(watcher.events[1]?.t, 1234, 'events carry the device clock');
});

test('writing the level a pin already has, with a lease, still reverts to that level', async (t) => {
  const { backend, pins } = fixture(t);
  pins.setup(5, { mode: 'output', pull: 'none', value: 1 }, OWNER);
  backend.clearHistory();
  // piconetcontrol would do nothing here and then write 1-value = 0 later.
  assert.deepEqual(pins.write(5, 1, 30, OWNER), { previous: 1, revertsTo: 1, leaseMs: 30 });
  assert.equal(backend.history.length, 1, 'the write reaches the hardware even though the level is unchanged');
  await delay(70);
  assert.equal(backend.pinState(5).driven, 1);
});

test('re-writing during a lease extends it and keeps the original revert target', async (t) => {
  const { pins } = fixture(t);
  pins.setup(7, { mode: 'output', pull: 'none', value: 0 }, OWNER);
  pins.write(7, 1, 60, OWNER);
  await delay(30);
  // Renewal "on for another 80 ms": the target stays 0, not the leased 1.
  assert.deepEqual(pins.write(7, 1, 80, OWNER), { previous: 1, revertsTo: 0, leaseMs: 80 });
  await delay(50);
  assert.equal(pins.read(7), 1, 'still on: the first lease would have ended by now');
  await delay(70);
  assert.equal(pins.read(7), 0, 'back to the level before the first lease');
});

test('a write without timeout cancels a pending revert', async (t) => {
  const { pins } = fixture(t);
  const watcher = new RecordingWatcher();
  pins.setup(8, { mode: 'output', pull: 'none', value: 0 }, OWNER);
  pins.watch(8, watcher, 'both', 0);
  pins.write(8, 1, 40, OWNER);
  assert.deepEqual(pins.write(8, 1, 0, OWNER), { previous: 1 });
  await delay(80);
  assert.equal(pins.read(8), 1);
  assert.deepEqual(watcher.summary(), ['8=1 write']);
  assert.equal(pins.snapshot(8).lease, undefined);
});

test('when the owner goes away, owned outputs with a safe value go to it and their lease is dropped', async (t) => {
  const { backend, pins } = fixture(t);
  const watcher = new RecordingWatcher();
  pins.setup(2, { mode: 'output', pull: 'none', value: 0, safe: 0 }, OWNER);
  pins.setup(3, { mode: 'output', pull: 'none', value: 1 }, OWNER); // no safe value: left alone
  pins.setup(4, { mode: 'output', pull: 'none', value: 0, safe: 1 }, OTHER); // someone else's
  pins.write(2, 1, 50, OWNER);
  pins.watch(2, watcher, 'both', 0);
  pins.releaseOwner(OWNER);
  assert.equal(backend.pinState(2).driven, 0);
  assert.equal(backend.pinState(3).driven, 1);
  assert.equal(backend.pinState(4).driven, 0);
  assert.deepEqual(watcher.summary(), ['2=0 failsafe']);
  assert.equal(pins.snapshot(2).owner, undefined);
  await delay(80);
  assert.deepEqual(watcher.summary(), ['2=0 failsafe'], 'the dropped lease does not fire later');
});

test('the owner is whoever last set up or wrote the pin', (t) => {
  const { backend, pins } = fixture(t);
  pins.setup(2, { mode: 'output', pull: 'none', value: 0, safe: 0 }, OWNER);
  pins.write(2, 1, 0, OTHER);
  pins.releaseOwner(OWNER);
  assert.equal(backend.pinState(2).driven, 1, 'OWNER no longer controls the pin');
  pins.releaseOwner(OTHER);
  assert.equal(backend.pinState(2).driven, 0);
});

test('a PWM pin with a safe value stops and drives the safe level when its owner goes away', (t) => {
  const { backend, pins } = fixture(t);
  pins.setup(15, { mode: 'output', pull: 'none', value: 0, safe: 0 }, OWNER);
  assert.equal(pins.setPwm(15, 1000, 0.5), 32768);
  pins.releaseOwner(OWNER);
  assert.equal(backend.pinState(15).mode, 'output');
  assert.equal(backend.pinState(15).driven, 0);
});

test('inputs are debounced: a level must hold debounce_ms to be reported', async (t) => {
  const { backend, pins } = fixture(t);
  const watcher = new RecordingWatcher();
  assert.equal(pins.setup(9, { mode: 'input', pull: 'up' }, OWNER), 1);
  pins.watch(9, watcher, 'both', 40);
  // A bouncing press: 0,1,0,1 within a few ms, then held at 0.
  for (const level of [0, 1, 0, 1, 0] as const) {
    backend.setInputLevel(9, level);
    await delay(5);
  }
  assert.deepEqual(watcher.summary(), [], 'nothing reported while bouncing');
  await delay(70);
  assert.deepEqual(watcher.summary(), ['9=0 input']);
  // A glitch shorter than the debounce time is never reported.
  backend.setInputLevel(9, 1);
  await delay(10);
  backend.setInputLevel(9, 0);
  await delay(70);
  assert.deepEqual(watcher.summary(), ['9=0 input']);
});

test('edge filters report only rising or only falling changes', async (t) => {
  const { backend, pins } = fixture(t);
  const rising = new RecordingWatcher();
  const falling = new RecordingWatcher();
  pins.setup(10, { mode: 'input', pull: 'down' }, OWNER);
  pins.watch(10, rising, 'rising', 0);
  pins.watch(10, falling, 'falling', 0);
  backend.setInputLevel(10, 1);
  backend.setInputLevel(10, 0);
  backend.setInputLevel(10, 1);
  assert.deepEqual(rising.summary(), ['10=1 input', '10=1 input']);
  assert.deepEqual(falling.summary(), ['10=0 input']);
});

test('unconnected inputs read their pull resistor; a disconnected button returns to it', (t) => {
  const { backend, pins } = fixture(t);
  pins.setup(11, { mode: 'input', pull: 'up' }, OWNER);
  pins.setup(12, { mode: 'input', pull: 'down' }, OWNER);
  assert.equal(pins.read(11), 1);
  assert.equal(pins.read(12), 0);
  backend.setInputLevel(11, 0);
  assert.equal(pins.read(11), 0);
  backend.setInputLevel(11, null);
  assert.equal(pins.read(11), 1);
});

test('pin rules: unknown pins, pins not set up, wrong modes and conflicting fields', (t) => {
  const { pins } = fixture(t);
  assert.equal(codeOf(() => pins.read(23)), ErrorCode.NO_SUCH_PIN);
  assert.throws(() => pins.read(23), /GPIO 0-22, 26-28 or "LED"/);
  assert.equal(codeOf(() => pins.read(7)), ErrorCode.PIN_NOT_SETUP);
  assert.throws(() => pins.read(7), { message: 'pin 7 is not set up; send setup_pin first' });
  assert.equal(codeOf(() => pins.write(7, 1, 0, OWNER)), ErrorCode.PIN_NOT_SETUP);
  assert.equal(codeOf(() => pins.watch(7, new RecordingWatcher(), 'both', 0)), ErrorCode.PIN_NOT_SETUP);
  pins.setup(7, { mode: 'input', pull: 'none' }, OWNER);
  assert.equal(codeOf(() => pins.write(7, 1, 0, OWNER)), ErrorCode.PIN_MODE);
  assert.equal(codeOf(() => pins.setup(7, { mode: 'input', pull: 'none', safe: 0 }, OWNER)), ErrorCode.FIELD_CONFLICT);
  assert.equal(codeOf(() => pins.setup('LED', { mode: 'input', pull: 'none' }, OWNER)), ErrorCode.PIN_MODE);
  assert.equal(codeOf(() => pins.setPwm('LED', 1000, 0.5)), ErrorCode.PIN_MODE);
  pins.setPwm(7, 1000, 0.25);
  assert.throws(() => pins.read(7), { code: ErrorCode.PIN_MODE, message: 'pin 7 is driven by PWM; send setup_pin to use it as GPIO' });
  assert.equal(codeOf(() => pins.write(7, 1, 0, OWNER)), ErrorCode.PIN_MODE);
  assert.equal(pins.setup(7, { mode: 'output', pull: 'none', value: 1 }, OWNER), 1, 'setup_pin makes it GPIO again');
  assert.equal(pins.read(7), 1, 'reading an output gives the driven level');
});

test('reset forgets every pin, lease and watch', async (t) => {
  const { backend, pins } = fixture(t);
  const watcher = new RecordingWatcher();
  pins.setup(2, { mode: 'output', pull: 'none', value: 0 }, OWNER);
  pins.watch(2, watcher, 'both', 0);
  pins.write(2, 1, 30, OWNER);
  pins.reset();
  assert.equal(pins.snapshot(2).mode, 'unset');
  assert.equal(backend.pinState(2).mode, 'unset');
  await delay(60);
  assert.deepEqual(watcher.summary(), ['2=1 write'], 'the lease died with the reset');
});
