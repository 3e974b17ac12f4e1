/**
 * The picolink client driving a stock piconetcontrol server (its stand-in in
 * `@picolink/test-kit/piconetcontrol-server`): detected at the handshake, spoken to one request at
 * a time without ids, its error messages mapped to codes.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { connect } from '../src/index.js';
import type { Device } from '../src/index.js';
import { generateCertificate } from '../src/tls/certs.js';
import { PiconetcontrolServer } from '@picolink/test-kit/piconetcontrol-server';

const FAST = { timeoutMs: 1000, heartbeatMs: 0, connectTimeoutMs: 1000 };

async function withLegacy(run: (device: Device, server: PiconetcontrolServer) => Promise<void>, options = {}): Promise<void> {
  const server = await PiconetcontrolServer.start({ restartDelayMs: 20, ...options });
  const device = await connect(server.url, FAST);
  try {
    await run(device, server);
  } finally {
    await device.close();
    await server.close();
  }
}

function hasCode(code: string, message?: RegExp): (err: unknown) => boolean {
  return (err: unknown) => err instanceof PicolinkError && err.code === code && (message === undefined || message.test(err.message));
}

/** Every chunk the server read held at most one request, and nothing failed to parse. */
function assertOneRequestPerRead(server: PiconetcontrolServer): void {
  assert.deepEqual(server.parseFailures, []);
  for (const chunk of server.chunks) {
    const text = chunk.toString();
    assert.ok(text.indexOf('\n') === text.length - 1, `a read held more than one request: ${JSON.stringify(text)}`);
  }
}

test('the handshake detects a piconetcontrol server', async () => {
  await withLegacy(async (device, server) => {
    assert.equal(device.protocol, null);
    assert.deepEqual(device.capabilities, []);
    assert.equal(device.version, '1.2.0');
    assert.equal(device.url, server.url);
    assert.deepEqual(server.requests[0], { id: 1, action: 'get_version' });
  });
});

test('sendCommands sends one request at a time, without ids, with time_sent, answers in order', async () => {
  await withLegacy(async (device, server) => {
    const commands = [
      { action: 'setup_pin', pin: 2, mode: 'output', value: 0 },
      { action: 'read_pin', pin: 2 },
      { action: 'write_pin', pin: 2, value: 1, timeout: 60 },
      { action: 'read_pin', pin: 2 },
      ...Array.from({ length: 20 }, () => ({ action: 'ping' })),
      { action: 'nonsense' },
    ];
    const responses = await device.sendCommands(commands);
    assert.equal(responses.length, commands.length);
    responses.forEach((response, i) => assert.equal(response.action, commands[i]?.action));
    assert.equal(responses[1]?.value, 0);
    assert.equal(responses[3]?.value, 1);
    assert.match(String(responses.at(-1)?.error), /^unknown action "nonsense"/);
    assert.equal(responses.at(-1)?.exception, 'ValueError');
    for (const request of server.requests.slice(1)) {
      assert.equal(request.id, undefined);
      assert.equal(typeof request.time_sent, 'number');
    }
    const stamps = server.requests.slice(1).map((r) => r.time_sent as number);
    assert.equal(new Set(stamps).size, stamps.length, 'time_sent identifies each request');
    assertOneRequestPerRead(server);
  });
});

test('many concurrent calls never reach the server in one read', async () => {
  await withLegacy(async (device, server) => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => device.request('ping', {}).then((r) => [i, r.action])));
    assert.equal(results.length, 50);
    assert.equal(server.requests.length, 51);
    assertOneRequestPerRead(server);
  });
});

test('pins: setup, write, read, and a lease that reverts', async () => {
  await withLegacy(async (device, server) => {
    const led = device.pin(15);
    await led.setup('output', { value: 1 });
    assert.deepEqual(server.pins.get(15), { mode: 'output', value: 1 });
    assert.equal(await led.read(), 1);
    // A lasting write: piconetcontrol's write_pin always reverts, so setup_pin carries it.
    assert.deepEqual(await led.write(0), {});
    assert.equal(await led.read(), 0);
    assert.equal(server.requests.at(-2)?.action, 'setup_pin');
    await led.write(1, { timeoutS: 0.05 });
    assert.equal(await led.read(), 1);
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(await led.read(), 0);

    const button = device.pin('3');
    await button.setup('input');
    server.setInput(3, 1);
    assert.equal(await button.read(), 1);
  });
});

test('error answers map to codes; send() returns them raw', async () => {
  await withLegacy(async (device) => {
    await assert.rejects(device.pin(7).read(), hasCode(ErrorCode.PIN_NOT_SETUP, /^pin 7 not setup; send setup_pin first$/));
    await assert.rejects(device.request('set_pwm', { pin: 2, freq: 1000, duty: 0.5 }), hasCode(ErrorCode.UNKNOWN_ACTION, /list_actions/));
    await assert.rejects(device.request('write_pin', { pin: 2, value: 1 }), hasCode(ErrorCode.MISSING_FIELD, /missing fields: timeout/));
    await assert.rejects(
      device.request('setup_pin', { pin: 2, mode: 'sideways' as 'input' }),
      hasCode(ErrorCode.BAD_RESPONSE, /the device reported an error: invalid mode "sideways".*\(ValueError\)/),
    );
    await assert.rejects(device.pin('LED').setup('output'), hasCode(ErrorCode.BAD_RESPONSE, /invalid literal for int\(\)/));
    const raw = await device.send({ action: 'read_pin', pin: 9 });
    assert.equal(raw.error, 'pin 9 not setup');
    assert.equal(raw.exception, 'ValueError');
    assert.equal(raw.ok, undefined);
  });
});

test('the server converts string values itself, as piconetcontrol CLI users rely on', async () => {
  await withLegacy(async (device, server) => {
    const [setup, read] = await device.sendCommands([
      { action: 'setup_pin', pin: '4', mode: 'output', value: '1' },
      { action: 'read_pin', pin: '4' },
    ]);
    assert.equal(setup?.error, undefined);
    assert.equal(read?.value, 1);
    assert.equal(server.pins.get(4)?.value, 1);
  });
});

test('what piconetcontrol cannot do is refused before anything is sent', async () => {
  await withLegacy(async (device, server) => {
    const sent = server.requests.length;
    await assert.rejects(device.pin(2).setup('output', { safe: 0 }), hasCode(ErrorCode.NOT_SUPPORTED, /runs piconetcontrol/));
    await assert.rejects(device.pin(2).setup('input', { pull: 'up' }), hasCode(ErrorCode.NOT_SUPPORTED));
    await assert.rejects(device.pin(2).pwm(1000, 0.5), hasCode(ErrorCode.NOT_SUPPORTED, /PWM/));
    await assert.rejects(device.pin(2).watch(() => undefined), hasCode(ErrorCode.NOT_SUPPORTED, /pin events/));
    await assert.rejects(device.adc(4).read(), hasCode(ErrorCode.NOT_SUPPORTED));
    assert.equal(server.requests.length, sent);
  });
});

test('info, actions, ping, update and reset against piconetcontrol', async () => {
  await withLegacy(async (device, server) => {
    const info = await device.info();
    assert.equal(info.protocol, undefined);
    assert.equal(info.board, 'Raspberry Pi Pico W with RP2040');
    assert.ok((await device.listActions()).includes('write_pin'));
    assert.ok((await device.ping()) >= 0);
    const result = await device.update({ 'main.py': 'print("hi")\n', 'lib/x.py': 'x = 1\n' }, { compress: true });
    assert.deepEqual(result.updated, ['main.py', 'lib/x.py']);
    assert.equal(server.files.get('main.py'), 'print("hi")\n');
    const update = server.requests.find((r) => r.action === 'update');
    assert.equal(update?.sha256, undefined);
    await new Promise<void>((resolve) => device.once('close', () => resolve()));
    assert.equal(server.restarts, 1);
  });
});

test('sleep sends deep as 0/1', async () => {
  await withLegacy(async (device, server) => {
    await device.sleep(500);
    assert.equal(server.requests.at(-1)?.deep, 0);
  });
});

test('a piconetcontrol server over TLS, pinned by fingerprint', async () => {
  const cert = generateCertificate({ commonName: 'pico', hosts: ['127.0.0.1'] });
  const server = await PiconetcontrolServer.start({ tls: { key: cert.keyPem, cert: cert.certPem } });
  try {
    const device = await connect(server.url, { ...FAST, fingerprint: cert.fingerprint });
    assert.equal(device.url, server.url);
    assert.equal(device.protocol, null);
    await device.pin(2).setup('output', { value: 1 });
    assert.equal(await device.pin(2).read(), 1);
    await device.close();
  } finally {
    await server.close();
  }
});
