// Dial-home with the MicroPython agent: the real agent files under CPython (the agent's
// test harness: a simulated Pico W whose `machine` shim records every pin write) dial home
// to a hub from startHub (SQLite in a temp directory, every port 0 on 127.0.0.1), and
// everything is checked through the HTTP API and on the board's pins.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Board } from '@picolink/test-kit/board';
import { startHub } from '../src/hub.js';
import type { RunningHub } from '../src/hub.js';
import { tempDir, testConfig, until } from './api-fixture.js';

interface DeviceView {
  id: string;
  online: boolean;
  mode: string | null;
  firmware: string | null;
  protocol: number | null;
  capabilities: string[];
}

interface StoredEvent {
  type: string;
  time: number;
  data: { steps?: Array<{ pin: number; action: string; request: Record<string, unknown>; result: string }> };
}

const HEARTBEAT_MS = 300;
const DEVICES = [
  { id: 'test-pico', token: 's3cret' },
  { id: 'pico-wrong-token', token: 'the-right-one' },
];

async function api<T>(hub: RunningHub, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${hub.token}`);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  const response = await fetch(hub.httpUrl + path, { ...init, headers });
  return { status: response.status, body: (await response.json()) as T };
}

async function listed(hub: RunningHub, id: string): Promise<DeviceView | undefined> {
  const { body } = await api<{ devices: DeviceView[] }>(hub, '/api/devices');
  return body.devices.find((device) => device.id === id);
}

test('the MicroPython agent dials home: token checked, listed online, driven through the API, back by itself after the hub restarts with its output set again', async (t) => {
  const dir = tempDir();
  t.after(() => dir.remove());
  const logs: string[] = [];
  const begin = (gatewayPort: number): Promise<RunningHub> =>
    startHub({ config: testConfig(dir.path, { gateway: { port: gatewayPort, heartbeatMs: HEARTBEAT_MS }, devices: DEVICES }), log: (line) => logs.push(line) });
  let hub = await begin(0);
  t.after(() => hub.close());
  const gateway = `127.0.0.1:${hub.gatewayPort}`;

  const board = await Board.start(t, 'cpython', { config: { hub: gateway, token: 's3cret', hub_backoff_ms: 50 } });
  t.after(() => board.assertNoTraceback());
  await board.waitForOutput(`picolink: hub ${gateway}: welcome (heartbeat ${HEARTBEAT_MS} ms)`);
  const online = await until(async () => {
    const device = await listed(hub, 'test-pico');
    return device?.online === true ? device : undefined;
  }, 'test-pico listed online');
  assert.equal(online.mode, 'dial-home');
  assert.equal(online.firmware, '0.1.0');
  assert.equal(online.protocol, 1);
  assert.ok(online.capabilities.includes('pipeline'));

  // A command through the API reaches the board's pin.
  const commands = await api<Array<Record<string, unknown>>>(hub, '/api/devices/test-pico/commands', {
    method: 'POST',
    body: JSON.stringify([
      { action: 'setup_pin', pin: 2, mode: 'output', value: 0, safe: 0 },
      { action: 'write_pin', pin: 2, value: 1 },
    ]),
  });
  assert.equal(commands.status, 200);
  assert.deepEqual(commands.body.map((response) => response.ok), [true, true]);
  assert.equal(commands.body[1]?.previous, 0);
  assert.equal(await board.level(2), 1, 'the shim recorded the write');

  // Another board with the wrong token is refused and never listed online.
  const impostor = await Board.start(t, 'cpython', { config: { device_id: 'pico-wrong-token', hub: gateway, token: 'a-guess', hub_backoff_ms: 50 } });
  await impostor.waitForOutput(/hub 127\.0\.0\.1:\d+: wrong token for device "pico-wrong-token"; .* \(PL_ERR_UNAUTHORIZED\)/);
  assert.ok(logs.some((line) => /hello from "pico-wrong-token" .* refused: wrong token .*\(PL_ERR_UNAUTHORIZED\)/.test(line)), logs.join('\n'));
  assert.ok(!logs.some((line) => line.includes('a-guess')), 'the token never reaches the log');
  assert.equal((await listed(hub, 'pico-wrong-token'))?.online, false);
  assert.ok(hub.gateway.stats().unauthorized >= 1);
  await impostor.stop();

  // The hub stops: the link drops and the agent's failsafe sets pin 2 to its safe value.
  const writesBefore = board.pinEvents(2).filter((e) => e.op === 'write').length;
  await hub.close();
  await board.waitForHw(() => board.lastWrite(2) === 0, 3000, 'the failsafe on pin 2');
  await board.waitForOutput(`picolink: hub ${gateway}: link closed; dialing again`);

  // The hub comes back on the same port and file: the agent dials again by itself and the
  // hub sets the output it remembers.
  const restartedAt = Date.now();
  hub = await begin(Number(gateway.split(':')[1]));
  const reapplied = await until(async () => {
    const { body } = await api<{ events: StoredEvent[] }>(hub, '/api/devices/test-pico/events?type=state_reapplied');
    return body.events.find((event) => event.time >= restartedAt);
  }, 'a state_reapplied event', 8000);
  assert.deepEqual(
    reapplied.data.steps?.map((step) => [step.pin, step.action, step.result]),
    [
      [2, 'setup_pin', 'ok'],
      [2, 'write_pin', 'ok'],
    ],
  );
  assert.equal((await listed(hub, 'test-pico'))?.online, true);
  await board.waitForHw(() => board.lastWrite(2) === 1, 3000, 'pin 2 set again');
  const writesSince = board
    .pinEvents(2)
    .filter((e) => e.op === 'write')
    .slice(writesBefore)
    .map((e) => e.level);
  assert.deepEqual(writesSince, [0, 0, 1], 'failsafe, then setup_pin at the safe value, then the remembered level');
  assert.equal(board.boots, 1, 'the board never restarted');
});
