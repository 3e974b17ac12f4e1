/**
 * `connect(url, { reconnect })` against the real device runtime over loopback: the
 * device is stopped and started again on the same port (a restart: its pins and watches
 * are forgotten), and the same Device carries on.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startDevice, SimulatedBackend } from '@picolink/device';
import type { RunningDevice } from '@picolink/device';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { connect } from '../src/index.js';
import type { PinChange, ReconnectedInfo, ReconnectingInfo } from '../src/index.js';

const FAST = { baseMs: 40, maxMs: 160 };
const DEVICE_CHILD = fileURLToPath(new URL('./fixtures/device-child.js', import.meta.url));

function start(port: number): Promise<RunningDevice<SimulatedBackend>> {
  return startDevice({ host: '127.0.0.1', port, backend: new SimulatedBackend() });
}

async function until<T>(find: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() - started > timeoutMs) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('a restarted device is reconnected: events say so, the watch fires again, a request made meanwhile waits', async () => {
  let running = await start(0);
  const port = running.port;
  const pico = await connect(running.url, { reconnect: FAST, timeoutMs: 4000, heartbeatMs: 0 });
  const reconnecting: ReconnectingInfo[] = [];
  const reconnected: ReconnectedInfo[] = [];
  pico.on('reconnecting', (info) => reconnecting.push(info));
  pico.on('reconnected', (info) => reconnected.push(info));
  let closes = 0;
  pico.on('close', () => (closes += 1));
  try {
    const button = pico.pin(15);
    await button.setup('input', { pull: 'up' });
    const changes: PinChange[] = [];
    await button.watch((event) => changes.push(event), { debounceMs: 0 });
    running.backend.setInputLevel(15, 0);
    await until(() => changes.find((e) => e.value === 0), 'pin change before the restart');

    await running.close();
    await until(() => reconnecting[0], 'reconnecting event');
    assert.equal(pico.reconnecting, true);
    assert.equal(pico.closed, false);
    const first = reconnecting[0] as ReconnectingInfo;
    assert.equal(first.attempt, 1);
    assert.ok(first.delayMs >= 0 && first.delayMs < FAST.baseMs, `first wait ${first.delayMs} ms is within the first bound`);
    assert.ok(first.error instanceof PicolinkError);

    // Nothing listens on the port for a while: attempts fail and back off.
    await until(() => reconnecting[2], 'third attempt');
    const waiting = pico.ping();
    running = await start(port);
    const rtt = await waiting;
    assert.ok(rtt >= 0, 'the request made during the outage was answered once the device was back');
    const back = await until(() => reconnected[0], 'reconnected event');
    assert.ok(back.attempts >= 3);
    assert.ok(back.downtimeMs > 0);
    assert.equal(pico.reconnecting, false);
    assert.equal(closes, 0, 'no close event while reconnecting');
    assert.ok(reconnecting.every((info, i) => info.attempt === i + 1));
    assert.ok(reconnecting.every((info) => info.delayMs < FAST.maxMs));

    // The restarted device had forgotten pin 15: the SDK set the input up again and watches it.
    assert.equal(await button.read(), 1);
    running.backend.setInputLevel(15, 0);
    const after = await until(() => changes.slice(1).find((e) => e.value === 0), 'pin change after the restart');
    assert.equal(after.event, 'pinChange');
    assert.equal(after.cause, 'input');
  } finally {
    await pico.close();
    await running.close();
  }
  assert.equal(closes, 1);
});

/** Starts the device process; resolves with it and its port once it listens (within 10 s). */
async function startProcess(port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [DEVICE_CHILD, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdout?.setEncoding('utf8');
  let out = '';
  const bound = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`device process not listening within 10 s: ${out}`)), 10_000);
    child.stdout?.on('data', (text: string) => {
      out += text;
      const match = /port (\d+)\n/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`device process exited (${code}): ${out}`)));
  });
  return { child, port: bound };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

test('a device process killed (SIGKILL) and started again on the same port: the Device reconnects and its watch fires', async (t) => {
  let device = await startProcess(0);
  t.after(() => kill(device.child));
  const pico = await connect(`tcp://127.0.0.1:${device.port}`, { reconnect: FAST, heartbeatMs: 0 });
  t.after(() => pico.close());
  const changes: PinChange[] = [];
  await pico.pin(15).setup('input', { pull: 'up' });
  await pico.pin(15).watch((event) => changes.push(event), { debounceMs: 0 });
  const reconnected = once(pico, 'reconnected');
  const firstAttempt = once(pico, 'reconnecting');

  await kill(device.child);
  const [info] = (await firstAttempt) as [ReconnectingInfo];
  assert.equal(info.error.code, ErrorCode.CONNECTION_CLOSED);
  device = await startProcess(device.port);
  await reconnected;
  device.child.stdin?.write('input 15 0\n');
  const change = await until(() => changes.find((e) => e.value === 0), 'pin change from the restarted process');
  assert.deepEqual([change.event, change.pin, change.cause], ['pinChange', 15, 'input']);
});

test('close() during reconnecting stops it; a request waiting for the connection fails with PL_ERR_DEVICE_OFFLINE after its timeout', async () => {
  const running = await start(0);
  const pico = await connect(running.url, { reconnect: FAST, heartbeatMs: 0 });
  const attempts: ReconnectingInfo[] = [];
  pico.on('reconnecting', (info) => attempts.push(info));
  await running.close();
  await until(() => attempts[0], 'reconnecting event');
  const started = Date.now();
  await assert.rejects(pico.ping({ timeoutMs: 300 }), (err: unknown) => {
    return err instanceof PicolinkError && err.code === ErrorCode.DEVICE_OFFLINE && /not back within 300 ms \(still reconnecting\)/.test(err.message);
  });
  assert.ok(Date.now() - started >= 280, 'the request waited its timeout');
  const closed = once(pico, 'close');
  await pico.close();
  assert.deepEqual(await closed, [null]);
  assert.equal(pico.closed, true);
  const count = attempts.length;
  await new Promise((resolve) => setTimeout(resolve, FAST.maxMs * 2));
  assert.equal(attempts.length, count, 'no attempt after close()');
  await assert.rejects(pico.ping(), (err: unknown) => err instanceof PicolinkError && err.code === ErrorCode.CONNECTION_CLOSED);
});

test('maxAttempts gives up: the Device closes with the last error', async () => {
  const running = await start(0);
  const pico = await connect(running.url, { reconnect: { ...FAST, maxAttempts: 2 }, heartbeatMs: 0 });
  const closed = once(pico, 'close');
  await running.close();
  const [reason] = (await closed) as [PicolinkError];
  assert.equal(reason.code, ErrorCode.CONNECT_FAILED);
  assert.equal(pico.closed, true);
});

test('without reconnect a lost connection closes the Device, as before', async () => {
  const running = await start(0);
  const pico = await connect(running.url, { heartbeatMs: 0 });
  let reconnects = 0;
  pico.on('reconnecting', () => (reconnects += 1));
  const closed = once(pico, 'close');
  await running.close();
  const [reason] = (await closed) as [PicolinkError];
  assert.ok(reason instanceof PicolinkError);
  assert.equal(pico.closed, true);
  assert.equal(reconnects, 0);
});

test('a port nobody listens on is refused at connect(), reconnect or not', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  await assert.rejects(connect(`tcp://127.0.0.1:${port}`, { reconnect: true }), (err: unknown) => err instanceof PicolinkError && err.code === ErrorCode.CONNECT_FAILED);
});
