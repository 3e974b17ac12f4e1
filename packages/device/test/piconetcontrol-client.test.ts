/**
 * A picolink device driven by a client that behaves like piconetcontrol's (see
 * reference/piconetcontrol.md): Python-style JSON with the string values its CLI sends,
 * a `time_sent` field and no `id`, one request at a time, the last one followed by an
 * empty line, TLS without certificate checks by default (plain TCP with --no-ssl).
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect as tcpConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { deflateSync } from 'node:zlib';
import { MemoryFirmwareStore } from '../src/index.js';
import { startTestDevice } from './fixtures.js';
import { delay } from '@picolink/test-kit/line-client';
import { makeTestCert } from './tls-cert.js';

type Command = Record<string, unknown>;
type Response = Record<string, unknown>;

/** json.dumps with Python's default separators: `{"a": 1, "b": "x"}`. */
function pythonDumps(value: unknown): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pythonDumps(v)}`).join(', ')}}`;
  }
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/** time.time_ns(): an integer too large for a double, as Python sends it. */
function timeNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000));
}

class PiconetcontrolStyleClient {
  constructor(
    private readonly port: number,
    private readonly useSsl: boolean,
  ) {}

  /** Client.send_commands: one connection, each command waits for its response. */
  async sendCommands(commands: Command[]): Promise<Response[]> {
    const socket = await this.open();
    try {
      const responses: Response[] = [];
      for (const [index, command] of commands.entries()) {
        const last = index === commands.length - 1;
        const request = { ...command, time_sent: timeNs() };
        socket.write(pythonDumps(request) + '\n' + (last ? '\n' : ''));
        const response = JSON.parse(await this.readResponse(socket)) as Response;
        response.time_responded = Date.now() * 1e6;
        responses.push(response);
      }
      return responses;
    } finally {
      socket.destroy();
    }
  }

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket: Socket = this.useSsl
        ? tlsConnect({ port: this.port, host: '127.0.0.1', rejectUnauthorized: false }, () => resolve(socket))
        : tcpConnect({ port: this.port, host: '127.0.0.1' }, () => resolve(socket));
      socket.once('error', reject);
    });
  }

  /** Reads until the buffer ends with a newline, with the client's 3 s timeout. */
  private readResponse(socket: Socket): Promise<string> {
    return new Promise((resolve, reject) => {
      let buffer = '';
      const timer = setTimeout(() => finish(new Error('timed out after 3 s')), 3000);
      const onData = (chunk: Buffer): void => {
        buffer += chunk.toString('utf8');
        if (buffer.endsWith('\n')) finish();
      };
      const onClose = (): void => finish(new Error(`connection closed; got ${JSON.stringify(buffer)}`));
      function finish(err?: Error): void {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        if (err) reject(err);
        else resolve(buffer);
      }
      socket.on('data', onData);
      socket.on('close', onClose);
    });
  }
}

/** Every field the client sent comes back unchanged, except those a result replaces. */
function assertEchoes(command: Command, response: Response, replaced: string[] = []): void {
  for (const [field, value] of Object.entries(command)) {
    if (replaced.includes(field)) continue;
    assert.deepEqual(response[field], value, `${String(command.action)}: field "${field}" echoed`);
  }
  assert.equal(typeof response.time_sent, 'number');
  if (response.ok === true) assert.equal(typeof response.time_received, 'number');
}

for (const useSsl of [true, false]) {
  test(`piconetcontrol-style client (${useSsl ? 'TLS, its default' : '--no-ssl'}): pins, info and errors`, async (t) => {
    const device = await startTestDevice(t, useSsl ? { tls: await makeTestCert() } : {});
    const client = new PiconetcontrolStyleClient(device.port, useSsl);
    const commands: Command[] = [
      { action: 'ping' },
      { action: 'get_version' },
      { action: 'get_info' },
      { action: 'get_resource_info' },
      { action: 'list_actions' },
      { action: 'setup_pin', pin: '2', mode: 'output', value: '0' },
      { action: 'write_pin', pin: '2', value: '1', timeout: '1' },
      { action: 'read_pin', pin: '2' },
      { action: 'setup_pin', pin: '3', mode: 'input' },
      { action: 'read_pin', pin: '3' },
      { action: 'read_pin', pin: '7' },
      { action: 'write_pin', pin: '2' },
      { action: 'blink' },
    ];
    const [ping, version, info, resourceInfo, actions, setup, write, read, setupInput, readInput, notSetUp, missing, unknown] =
      await client.sendCommands(commands);
    const r = (x: Response | undefined): Response => x ?? assert.fail('missing response');

    assertEchoes(commands[0] ?? {}, r(ping));
    assert.equal(typeof r(version).version, 'string');
    assertEchoes(commands[1] ?? {}, r(version));
    for (const [index, reply] of [[2, info], [3, resourceInfo]] as const) {
      assertEchoes(commands[index] ?? {}, r(reply));
      const details = r(reply).info as Record<string, unknown>;
      for (const key of ['mem_free', 'mem_alloc', 'board']) assert.ok(key in details, `info has ${key}`);
    }
    const known = r(actions).actions as string[];
    for (const action of ['setup_pin', 'write_pin', 'read_pin', 'ping', 'reset', 'sleep', 'get_version', 'get_info', 'list_actions', 'update']) {
      assert.ok(known.includes(action), `list_actions has ${action}`);
    }
    assertEchoes(commands[5] ?? {}, r(setup), ['value']);
    assert.equal(r(setup).value, 0);
    assertEchoes(commands[6] ?? {}, r(write));
    assert.equal(r(write).ok, true);
    assert.equal(device.backend.pinState(2).driven, 1);
    assertEchoes(commands[7] ?? {}, r(read));
    assert.equal(r(read).value, 1);
    assertEchoes(commands[8] ?? {}, r(setupInput));
    assertEchoes(commands[9] ?? {}, r(readInput));
    assert.equal(r(readInput).value, 0);

    for (const [index, reply, pattern] of [
      [10, notSetUp, /^pin 7 is not set up/],
      [11, missing, /^incomplete command, missing fields: value$/],
      [12, unknown, /^unknown action "blink", use "list_actions" to list available actions$/],
    ] as const) {
      assertEchoes(commands[index] ?? {}, r(reply));
      assert.match(r(reply).error as string, pattern);
      assert.equal(typeof r(reply).exception, 'string', 'piconetcontrol prints the exception class');
    }

    // Its write_pin reverts after `timeout` seconds: to the previous level (0) here.
    await delay(1100);
    assert.equal(device.backend.pinState(2).driven, 0);
  });
}

test('piconetcontrol-style client: sleep, reset and update with compressed files', async (t) => {
  const firmware = new MemoryFirmwareStore({ 'main.py': 'old main', 'server.py': 'old server' });
  const device = await startTestDevice(t, { firmware, actionDelayMs: 50 });
  const client = new PiconetcontrolStyleClient(device.port, false);

  const sleepCommand = { action: 'sleep', time_ms: '150', deep: '0' };
  const [sleep, afterSleep] = await client.sendCommands([sleepCommand, { action: 'ping' }]);
  assertEchoes(sleepCommand, sleep ?? {});
  assert.equal(sleep?.delay_ms, 50);
  assert.equal(afterSleep?.ok, true, 'answered once the device woke up');

  const [reset] = await client.sendCommands([{ action: 'reset' }]);
  assert.equal(reset?.delay_ms, 50);
  await delay(120);

  const sources = { 'main.py': 'import server\nserver.run()\n', 'server.py': 'def run():\n    pass\n' };
  const files = Object.fromEntries(Object.entries(sources).map(([name, text]) => [name, deflateSync(text).toString('base64')]));
  const updateCommand = { action: 'update', files, compress: true };
  const [update] = await client.sendCommands([updateCommand]);
  assert.equal(update?.ok, true, JSON.stringify(update));
  assert.deepEqual(update?.files, ['main.py', 'server.py'], 'file names echoed instead of their content');
  assert.equal(update?.compress, true);
  await delay(150);
  const [info] = await client.sendCommands([{ action: 'get_info' }]);
  assert.deepEqual((info?.info as Record<string, unknown>).last_update, { status: 'ok', files: ['main.py', 'server.py'] });
  assert.equal(Buffer.from((await firmware.read('server.py')) ?? []).toString('utf8'), sources['server.py']);
  assert.equal(Buffer.from((await firmware.read('server.py.bak')) ?? []).toString('utf8'), 'old server');
});
