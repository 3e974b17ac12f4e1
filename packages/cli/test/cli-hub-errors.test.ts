// A person's first steps with a hub, as child processes on free ports: the hub's own hint
// starts a device it admits; `send hub://...` needs --token (or PICOLINK_TOKEN) and says so;
// `send` aimed at the hub's HTTP or gateway port says which port it hit.
import { test, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPicolink } from './background-process.js';
import type { BackgroundPicolink } from './background-process.js';
import { assertOneLineError, runPicolink, startDeviceProcess } from './cli-process.js';
import type { BackgroundDevice } from './cli-process.js';

const DEVICE_ID = 'pico-t';
const DEVICE_TOKEN = 's3cret-t';
/** No token from the environment the tests run in. */
const NO_ENV_TOKEN = { PICOLINK_TOKEN: '' };

let dir: string;
let hub: BackgroundPicolink;
let device: BackgroundDevice;
let apiPort: string;
let apiToken: string;
let gatewayPort: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'picolink-cli-hub-errors-'));
  const config = join(dir, 'picolink.json');
  await writeFile(config, JSON.stringify({ devices: [{ id: DEVICE_ID, token: DEVICE_TOKEN }] }));
  hub = startPicolink(['hub', '--config', config, '--data-dir', dir, '--http-port', '0', '--gateway-port', '0', '--telemetry-port', '0']);
  const [, port = '', token = ''] = await hub.waitFor(/API +http:\/\/127\.0\.0\.1:(\d+)\n +token +(\S+)/);
  [apiPort, apiToken] = [port, token];
  gatewayPort = (await hub.waitFor(/gateway +0\.0\.0\.0:(\d+)/))[1] ?? '';
  await hub.waitFor(/Ctrl-C stops the hub/);
  device = await startDeviceProcess(['--hub', `127.0.0.1:${gatewayPort}`, '--id', DEVICE_ID, '--token', DEVICE_TOKEN]);
});

after(async () => {
  await device.stop();
  assert.equal(await hub.stop(), 0, hub.stderr());
  await rm(dir, { recursive: true, force: true });
});

test("the hub's hint starts a device it admits: the configured id with its token", async () => {
  assert.match(hub.stdout(), new RegExp(`npx picolink device --sim --hub 127\\.0\\.0\\.1:${gatewayPort} --id ${DEVICE_ID} --token ${DEVICE_TOKEN} `));
});

test('send hub:// takes --token or PICOLINK_TOKEN; without one it exits 3 naming both', async () => {
  const url = `hub://127.0.0.1:${apiPort}/devices/${DEVICE_ID}`;
  const refused = await runPicolink(['send', url, '-c', 'action=ping'], { env: NO_ENV_TOKEN });
  assert.equal(refused.code, 3, refused.stderr);
  assertOneLineError(refused.stderr, /refused the link to "pico-t": .*pass --token TOKEN or set PICOLINK_TOKEN/);
  assert.doesNotMatch(refused.stderr, /Authorization|Bearer/, 'no HTTP header advice for a CLI user');

  // The device dials home in the background: wait (bounded) until the hub links it.
  const deadline = Date.now() + 15_000;
  let answered = await runPicolink(['send', url, '--token', apiToken, '-c', 'action=ping'], { env: NO_ENV_TOKEN });
  while (answered.code !== 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    answered = await runPicolink(['send', url, '--token', apiToken, '-c', 'action=ping'], { env: NO_ENV_TOKEN });
  }
  assert.equal(answered.code, 0, answered.stderr);
  assert.match(answered.stdout, /^1 +ping +ok$/m);
  const fromEnv = await runPicolink(['send', url, '-c', 'action=ping'], { env: { PICOLINK_TOKEN: apiToken } });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
});

test('help texts name --token and PICOLINK_TOKEN', async () => {
  for (const args of [['--help'], ['send', '--help'], ['ping', '--help']]) {
    const result = await runPicolink(args);
    assert.match(result.stdout, /PICOLINK_TOKEN/, args.join(' '));
  }
  assert.match((await runPicolink(['send', '--help'])).stdout, /--token TOKEN/);
});

test("send to the hub's HTTP port exits 3 with one line pointing to hub://, no Node warnings", async () => {
  const result = await runPicolink(['send', `127.0.0.1:${apiPort}`, '-c', 'action=ping']);
  assert.equal(result.code, 3, result.stderr);
  assertOneLineError(result.stderr, new RegExp(`127\\.0\\.0\\.1:${apiPort} answered in HTTP: .*hub://127\\.0\\.0\\.1:${apiPort}/devices/ID --token TOKEN`));
  assert.doesNotMatch(result.stderr, /PicolinkWarning|trace-warnings|tls:\/\//);
});

test("send to the hub's device gateway exits 3, not 1, and says what that port is", async () => {
  const result = await runPicolink(['send', `127.0.0.1:${gatewayPort}`, '-c', 'action=ping']);
  assert.equal(result.code, 3, result.stderr);
  assertOneLineError(result.stderr, /is a hub's device gateway, where devices dial home, not a device; .*hub:\/\//);
});

test('a device refused for a wrong token says why on its own console and keeps dialing', async (t) => {
  const wrong = await startDeviceProcess(['--hub', `127.0.0.1:${gatewayPort}`, '--id', DEVICE_ID, '--token', 'not-the-token']);
  t.after(() => wrong.stop());
  const deadline = Date.now() + 10_000;
  while (!/refused the hello/.test(wrong.stderr()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.match(wrong.stderr(), /hub 127\.0\.0\.1:\d+ refused the hello: wrong token for device "pico-t"; give the device the token set for it/);
  assert.equal(wrong.child.exitCode, null, 'still running, to dial again with backoff');
});
