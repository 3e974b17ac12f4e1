import { test, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { parseTelemetry } from '@picolink/protocol';
import { once } from 'node:events';
import { assertOneLineError, CLI_MAIN, runPicolink, startDeviceProcess } from './cli-process.js';
import type { BackgroundDevice } from './cli-process.js';

let device: BackgroundDevice;
let address: string;

before(async () => {
  device = await startDeviceProcess();
  address = `127.0.0.1:${device.port}`;
});

after(async () => {
  assert.equal(await device.stop(), 0, 'device exits cleanly on SIGTERM');
});


test('--help lists every command and the exit codes', async () => {
  const result = await runPicolink(['--help']);
  assert.equal(result.code, 0);
  for (const command of ['send', 'ping', 'device', 'certs', 'hub', 'demo']) assert.match(result.stdout, new RegExp(`^  ${command}`, 'm'));
  assert.match(result.stdout, /Exit codes/);
});

test('every command has its own help', async () => {
  for (const command of ['send', 'ping', 'device', 'certs', 'hub', 'demo']) {
    const viaHelp = await runPicolink(['help', command]);
    assert.equal(viaHelp.code, 0);
    assert.match(viaHelp.stdout, new RegExp(`^Usage: picolink ${command}`));
    const viaFlag = await runPicolink([command, '--help']);
    assert.equal(viaFlag.stdout, viaHelp.stdout);
  }
});

test('--version prints the version', async () => {
  const result = await runPicolink(['--version']);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^picolink \d+\.\d+\.\d+\n$/);
});

test('usage errors exit 2 with one actionable line', async () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['send'], /give the device address/],
    [['send', address], /nothing to send/],
    [['send', address, '-c', 'pin=2'], /no action=/],
    [['send', address, '--bogus', '-c', 'action=ping'], /unknown option --bogus/],
    [['ping', address, '-n', 'many'], /--count must be a whole number/],
    [['send', address, '--token', 't', '-c', 'action=ping'], /--token is the hub's API token, for hub:\/\/HOST:PORT\/devices\/ID addresses/],
    [['device'], /--sim/],
    [['device', '--sim', '--tls-cert', 'x.pem'], /both --tls-cert FILE and --tls-key FILE/],
  ];
  for (const [args, pattern] of cases) {
    const result = await runPicolink(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assertOneLineError(result.stderr, pattern);
  }
});

test('send to an address where nothing listens exits 3', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const result = await runPicolink(['send', `127.0.0.1:${port}`, '-c', 'action=ping']);
  assert.equal(result.code, 3);
  assertOneLineError(result.stderr, /cannot connect to 127\.0\.0\.1/);
});

test('device on a port already in use exits 3 with one line, as serve does', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const result = await runPicolink(['device', '--sim', '--host', '127.0.0.1', '--port', String(port)]);
    assert.equal(result.code, 3);
    assert.equal(result.stderr, `picolink: cannot listen on tcp 127.0.0.1:${port}: the port is already in use; stop the program using it or choose another port\n`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('send runs piconetcontrol-style commands and prints a table', async () => {
  const result = await runPicolink([
    'send', address,
    '-c', 'action=setup_pin', 'pin=2', 'mode=output', 'value=0', 'safe=0',
    '-c', 'action=write_pin', 'pin=2', 'value=1', 'timeout=5',
    '-c', 'action=read_pin', 'pin=2',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.match(lines[0] ?? '', /^#\s+action\s+fields\s+result$/);
  assert.match(lines[2] ?? '', /^1\s+setup_pin\s+pin=2 mode=output value=0 safe=0\s+ok/);
  assert.match(lines[3] ?? '', /^2\s+write_pin .* ok previous=0 reverts_to=0 lease_ms=5000/);
  assert.match(lines[4] ?? '', /^3\s+read_pin\s+pin=2\s+ok value=1$/);
});

test('send --json prints one response object per line', async () => {
  const result = await runPicolink(['send', address, '--json', '-c', 'action=ping', '-c', 'action=read_adc', 'channel=4']);
  assert.equal(result.code, 0, result.stderr);
  const responses = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(responses.length, 2);
  assert.equal(responses[0]?.action, 'ping');
  assert.equal(responses[0]?.ok, true);
  const temperature = responses[1]?.temperature_c;
  assert.equal(typeof temperature, 'number');
  assert.ok((temperature as number) > 0 && (temperature as number) < 60, `plausible temperature, got ${String(temperature)}`);
});

test('a command answered with an error exits 1 and shows the code', async () => {
  const result = await runPicolink(['send', address, '-c', 'action=read_pin', 'pin=9', '-c', 'action=ping']);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /1\s+read_pin\s+pin=9\s+error PL_ERR_PIN_NOT_SETUP: pin 9 is not set up; send setup_pin first/);
  assert.match(result.stdout, /2\s+ping\s+ok/);
});

test('send -f reads a JSON array or JSON lines', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'picolink-cli-'));
  const arrayFile = join(dir, 'commands.json');
  await writeFile(arrayFile, JSON.stringify([{ action: 'setup_pin', pin: 3, mode: 'input', pull: 'up' }, { action: 'read_pin', pin: 3 }]));
  const fromArray = await runPicolink(['send', address, '-f', arrayFile, '--json']);
  assert.equal(fromArray.code, 0, fromArray.stderr);
  const last = JSON.parse(fromArray.stdout.trim().split('\n')[1] ?? '{}') as { value?: number };
  assert.equal(last.value, 1, 'an input with a pull-up reads 1');

  const linesFile = join(dir, 'commands.ndjson');
  await writeFile(linesFile, '{"action":"ping"}\n\n{"action":"get_version"}\n');
  const fromLines = await runPicolink(['send', address, '-f', linesFile]);
  assert.equal(fromLines.code, 0, fromLines.stderr);
  assert.match(fromLines.stdout, /^2\s+get_version\s+ok\n\s+version\s+\d+\.\d+\.\d+$/m, 'a long result is listed field by field');

  await writeFile(linesFile, '{"action": ');
  const broken = await runPicolink(['send', address, '-f', linesFile]);
  assert.equal(broken.code, 2);
  assertOneLineError(broken.stderr, /is not JSON/);
});

test('ping reports min, median and max', async () => {
  const result = await runPicolink(['ping', address, '-n', '3', '--interval', '0']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.match(/^reply from .* seq=\d time=\d+\.\d+ ms$/gm)?.length, 3);
  assert.match(result.stdout, /3 replies: min \d+\.\d+ ms, median \d+\.\d+ ms, max \d+\.\d+ ms/);
  const json = await runPicolink(['ping', address, '-n', '2', '--interval', '0', '--json']);
  const summary = JSON.parse(json.stdout) as { count: number; min: number; max: number; samples: number[] };
  assert.equal(summary.count, 2);
  assert.ok(summary.min <= summary.max);
});

test('certs writes PEM and DER files; a TLS device is reached only with the right fingerprint', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'picolink-certs-'));
  const made = await runPicolink(['certs', dir, '--host', '127.0.0.1', '--json']);
  assert.equal(made.code, 0, made.stderr);
  const { fingerprint } = JSON.parse(made.stdout) as { fingerprint: string };
  assert.match(fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  for (const name of ['device-key.pem', 'device-cert.pem', 'device-key.der', 'device-cert.der']) {
    assert.ok((await stat(join(dir, name))).size > 0, name);
  }
  assert.equal((await stat(join(dir, 'device-key.pem'))).mode & 0o077, 0, 'the key is readable by its owner only');

  const again = await runPicolink(['certs', dir]);
  assert.equal(again.code, 2, 'refuses to overwrite without --force');

  const tlsDevice = await startDeviceProcess(['--tls-cert', join(dir, 'device-cert.pem'), '--tls-key', join(dir, 'device-key.pem')]);
  try {
    assert.match(tlsDevice.url, /^tls:\/\//);
    const target = `127.0.0.1:${tlsDevice.port}`;
    const ok = await runPicolink(['send', target, '--tls', '--fingerprint', fingerprint, '-c', 'action=ping']);
    assert.equal(ok.code, 0, ok.stderr);

    const wrong = fingerprint.replace(/^../, fingerprint.startsWith('00') ? '11' : '00');
    const refused = await runPicolink(['send', target, '--tls', '--fingerprint', wrong, '-c', 'action=ping']);
    assert.equal(refused.code, 3);
    assertOneLineError(refused.stderr, /fingerprint/i);

    const knownDevices = join(dir, 'known_devices');
    const first = await runPicolink(['send', `tls://${target}`, '--known-devices', knownDevices, '-c', 'action=ping']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /trusting new device/);
    assert.match(await readFile(knownDevices, 'utf8'), new RegExp(fingerprint));
  } finally {
    await tlsDevice.stop();
  }
});

test('demo (npm start) starts a hub with three simulated devices and data flowing within seconds', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'picolink-demo-'));
  const child = spawn(process.execPath, [CLI_MAIN, 'demo', '--port', '0', '--data-dir', dataDir]);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  try {
    const [url, token] = await new Promise<[string, string]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo printed: ${stdout}`)), 15_000);
      const check = (): void => {
        const match = /Ctrl-C/.test(stdout) ? /API +(http:\/\/127\.0\.0\.1:\d+)\n +token +(\S+)/.exec(stdout) : null;
        if (match?.[1] && match[2]) {
          clearTimeout(timer);
          resolve([match[1], match[2]]);
        }
      };
      child.stdout.on('data', check);
    });
    for (const device of ['pico-kitchen', 'pico-garage', 'sensor-garden']) assert.match(stdout, new RegExp(`^  ${device} `, 'm'));
    assert.match(stdout, new RegExp(`^  dashboard +${url}/#token=${token} `, 'm'), 'the sign-in link');
    assert.match(stdout, new RegExp(`curl -H "Authorization: Bearer ${token}" ${url}/api/devices`));
    assert.match(stdout, /hub:\/\/127\.0\.0\.1:\d+\/devices\/pico-kitchen/);
    const get = async <T>(path: string): Promise<T> => (await (await fetch(url + path, { headers: { authorization: `Bearer ${token}` } })).json()) as T;
    type View = { id: string; online: boolean; mode: string; telemetry: { accepted: number } | null };
    const deadline = Date.now() + 8000;
    let devices: View[] = [];
    const flowing = (list: View[]): boolean => list.length === 3 && list.every((d) => (d.telemetry?.accepted ?? 0) >= 2);
    while (!flowing(devices) && Date.now() < deadline) {
      devices = (await get<{ devices: View[] }>('/api/devices')).devices;
      if (!flowing(devices)) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.deepEqual(
      devices.map((d) => [d.id, d.online, d.mode]),
      [
        ['pico-garage', true, 'dial-home'],
        ['pico-kitchen', true, 'server'],
        ['sensor-garden', false, 'telemetry'],
      ],
    );
    assert.ok(flowing(devices), `telemetry from every device: ${JSON.stringify(devices.map((d) => d.telemetry))}`);
    const moisture = await get<{ rows: Array<{ value: number }> }>('/api/devices/sensor-garden/telemetry?metric=adc0&from=-1m');
    assert.ok(moisture.rows.length >= 1 && moisture.rows.every((r) => r.value > 0.5 && r.value < 3.3), JSON.stringify(moisture.rows));
    const led = await fetch(`${url}/api/devices/pico-kitchen/commands`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'read_pin', pin: 'LED' }),
    });
    assert.equal(((await led.json()) as { value: number }).value, 1, 'the demo turned the kitchen LED on');
  } finally {
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    await rm(dataDir, { recursive: true, force: true });
    assert.equal(code, 0);
  }
});

test('device --telemetry sends signed UDP datagrams to the given address', async () => {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const key = 'lab-key';
  const telemetryDevice = await startDeviceProcess(['--id', 'tele-1', '--telemetry', `127.0.0.1:${port}`, '--telemetry-interval', '50', '--telemetry-key', key]);
  try {
    const [message] = (await once(socket, 'message')) as [Buffer];
    const sign = (text: string): string => createHmac('sha256', key).update(text).digest('hex');
    const parsed = parseTelemetry(message.toString('utf8'), (device, text) => (device === 'tele-1' ? sign(text) : undefined));
    assert.equal(parsed.authenticated, true);
    assert.equal(parsed.message.device, 'tele-1');
    assert.equal(typeof parsed.message.readings.temp_c, 'number');
  } finally {
    await telemetryDevice.stop();
    socket.close();
  }
});
