/**
 * The agent's behaviour suite: the real agent files on a simulated board, driven over
 * loopback with the picolink client SDK, a raw line client and a piconetcontrol-style
 * client. cpython.test.ts runs it under CPython with shim modules; micropython.test.ts
 * runs the same tests inside MicroPython (WebAssembly). Each test starts its own board.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHash, createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect as tcpConnect } from 'node:net';
import type { RemoteInfo } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { connect } from '@picolink/client';
import type { Device } from '@picolink/client';
import { ACTION_NAMES, CAPABILITIES, encodeTelemetryAck, parseTelemetry } from '@picolink/protocol';
import type { TelemetryDatagram } from '@picolink/protocol';
import { Board } from '@picolink/test-kit/board';
import type { BoardOptions, Runtime } from '@picolink/test-kit/board';
import { HubStandIn } from './harness/hub-stand-in.js';
import { connectWhenUp, delay, LineClient } from './harness/line-client.js';
import { PiconetcontrolClient } from './harness/piconetcontrol-client.js';
import { endProcess, startControllerProcess } from '@picolink/test-kit/controller-process';

interface TestContext {
  after(fn: () => unknown): void;
}

export interface SuiteOptions {
  /** Whether this route can serve TLS (MicroPython on WebAssembly has no TLS module). */
  tls: boolean;
  /** Options for a board serving TLS, and the fingerprint of its certificate. */
  tlsBoard?: () => BoardOptions & { fingerprint?: string };
  /** A certificate (PEM) for a TLS hub, and its fingerprint. */
  hubCert?: () => { cert: string; key: string; fingerprint: string };
}

const TELEMETRY_KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

function change(e: Record<string, unknown>): string {
  return `${String(e.pin)}=${String(e.value)} ${String(e.cause)}`;
}

export function agentSuite(runtime: Runtime, options: SuiteOptions): void {
  /** A board for one test; a Python traceback in its output fails the test unless expected. */
  async function boardFor(t: TestContext, opts: BoardOptions = {}, expectTraceback = false): Promise<Board> {
    const board = await Board.start(t, runtime, opts);
    if (!expectTraceback) t.after(() => board.assertNoTraceback());
    return board;
  }

  async function sdk(t: TestContext, board: Board): Promise<Device> {
    const device = await connect(board.url, { timeoutMs: 5000 });
    t.after(() => device.close());
    return device;
  }

  async function lineClient(t: TestContext, board: Board): Promise<LineClient> {
    const client = await LineClient.connect(board.port, { tls: board.secure });
    t.after(() => client.close());
    return client;
  }

  test(`${runtime}: the SDK's handshake finds a picolink v1 device with every capability`, async (t) => {
    const board = await boardFor(t);
    const device = await sdk(t, board);
    assert.equal(device.protocol, 1);
    assert.deepEqual(device.capabilities, [...CAPABILITIES]);
    assert.equal(device.version, '0.1.0');
    assert.ok((await device.ping()) < 2000);
    assert.deepEqual(await device.listActions(), ACTION_NAMES);
    const info = (await device.info()) as Record<string, unknown>;
    assert.equal(info.deviceId, 'test-pico');
    assert.equal(info.protocol, 1);
    assert.equal(info.firmware, '0.1.0');
    assert.deepEqual(info.pins, [...Array.from({ length: 23 }, (_, i) => i), 26, 27, 28]);
    assert.deepEqual(info.lastUpdate, { status: 'none', files: [] });
    assert.ok((info.memFree as number) > 0 && (info.memAlloc as number) > 0);
    assert.ok((info.uptimeMs as number) >= 0);
    const resource = await device.request('get_resource_info');
    assert.equal((resource.info as unknown as Record<string, unknown>).deviceId, 'test-pico');
  });

  test(`${runtime}: outputs, leases and reads reach the hardware`, async (t) => {
    const board = await boardFor(t);
    const device = await sdk(t, board);
    const relay = device.pin(2);
    await relay.setup('output', { value: 1, safe: 0 });
    assert.equal(await board.level(2), 1);
    assert.deepEqual(await relay.write(0), { previous: 1 });
    assert.equal(await relay.read(), 0);
    const lease = await relay.write(1, { timeoutS: 0.15 });
    assert.deepEqual(lease, { previous: 0, revertsTo: 0, leaseMs: 150 });
    assert.equal(await board.level(2), 1);
    await board.waitForHw(() => board.lastWrite(2) === 0, 2000, 'the lease to end');
    assert.equal(await relay.read(), 0);
    const led = device.pin('LED');
    await led.setup('output');
    await led.write(1);
    assert.equal(await board.level('LED'), 1);
    await board.sync();
    const writes = board.pinEvents(2).filter((e) => e.op === 'write').map((e) => e.level);
    assert.deepEqual(writes, [1, 0, 1, 0], 'every write reaches the pin, the revert included');
  });

  test(`${runtime}: renewing a lease keeps its target; a plain write cancels the revert`, async (t) => {
    const board = await boardFor(t);
    const client = await lineClient(t, board);
    await client.request({ action: 'setup_pin', pin: 19, mode: 'output', value: 0 });
    await client.request({ action: 'write_pin', pin: 19, value: 1, timeout: 0.1 });
    const renewed = await client.request({ action: 'write_pin', pin: 19, value: 1, timeout: 0.1 });
    assert.deepEqual([renewed.previous, renewed.reverts_to, renewed.lease_ms], [1, 0, 100]);
    const forGood = await client.request({ action: 'write_pin', pin: 19, value: 1 });
    assert.equal('reverts_to' in forGood, false);
    await delay(250);
    assert.equal((await client.request({ action: 'read_pin', pin: 19 })).value, 1, 'no revert after a plain write');
    await board.sync();
    assert.deepEqual(board.pinEvents(19).filter((e) => e.op === 'write').map((e) => e.level), [0, 1, 1, 1]);
  });

  test(`${runtime}: inputs, PWM and the ADC`, async (t) => {
    const board = await boardFor(t);
    const device = await sdk(t, board);
    const button = device.pin(14);
    await button.setup('input', { pull: 'up' });
    assert.equal(await button.read(), 1);
    board.setInput(14, 0);
    await delay(50);
    assert.equal(await button.read(), 0);
    assert.equal((await device.send({ action: 'write_pin', pin: 14, value: 1 })).code, 'PL_ERR_PIN_MODE');

    const pwm = await device.request('set_pwm', { pin: 15, freq: 1000, duty: 0.25 });
    assert.equal(pwm.dutyU16, 16384);
    await board.sync();
    assert.deepEqual(board.pinEvents(15).filter((e) => e.op === 'pwm').map((e) => [e.freq, e.duty_u16]), [[1000, 16384]]);
    const read = await device.send({ action: 'read_pin', pin: 15 });
    assert.equal(read.code, 'PL_ERR_PIN_MODE');
    assert.equal(read.error, 'pin 15 is driven by PWM; send setup_pin to use it as GPIO');
    await device.pin(15).setup('output', { value: 0 });
    assert.equal(await device.pin(15).read(), 0);
    assert.equal((await device.send({ action: 'set_pwm', pin: 'LED', freq: 1000, duty: 0.5 })).code, 'PL_ERR_PIN_MODE');

    const temperature = await device.adc(4).read();
    assert.ok(temperature.temperatureC !== undefined && Math.abs(temperature.temperatureC - 25) < 2, `°C ${temperature.temperatureC}`);
    assert.ok(Math.abs(temperature.volts - (temperature.value * 3.3) / 65535) < 1e-4);
    board.setAdc(0, 23831);
    await delay(50);
    const adc0 = await device.adc(0).read();
    assert.deepEqual([adc0.value, adc0.temperatureC], [23831, undefined]);
    assert.equal(adc0.volts, 1.2);
    assert.equal((await device.send({ action: 'read_pin', pin: 23 })).code, 'PL_ERR_NO_SUCH_PIN');
    assert.equal((await device.send({ action: 'setup_pin', pin: 'LED', mode: 'input' })).code, 'PL_ERR_PIN_MODE');
  });

  test(`${runtime}: watches push debounced input changes and the causes of output changes`, async (t) => {
    const board = await boardFor(t);
    const client = await lineClient(t, board);
    const other = await lineClient(t, board);
    assert.equal((await client.request({ action: 'setup_pin', pin: 20, mode: 'input', pull: 'up' })).value, 1);
    assert.equal((await client.request({ action: 'watch_pin', pin: 20, debounce_ms: 40 })).value, 1);
    for (const level of [0, 1, 0, 1, 0] as const) {
      board.setInput(20, level);
      await delay(3);
    }
    const pressed = await client.event('pin_change');
    assert.equal(change(pressed), '20=0 input');
    assert.equal(typeof pressed.t, 'number');
    assert.ok(Math.abs((pressed.time as number) - Date.now()) < 5000, 'time is Unix ms');
    board.setInput(20, null);
    assert.equal(change(await client.event('pin_change')), '20=1 input');

    await client.request({ action: 'setup_pin', pin: 21, mode: 'input', pull: 'up' });
    await client.request({ action: 'watch_pin', pin: 21, edge: 'falling', debounce_ms: 0 });
    board.setInput(21, 0);
    board.setInput(21, 1);
    board.setInput(21, 0);
    assert.equal(change(await client.event('pin_change')), '21=0 input');
    assert.equal(change(await client.event('pin_change')), '21=0 input');

    await client.request({ action: 'setup_pin', pin: 22, mode: 'output', value: 0 });
    await other.request({ action: 'watch_pin', pin: 22 });
    assert.equal((await client.request({ id: 'w', action: 'write_pin', pin: 22, value: 1, timeout: 0.08 })).id, 'w');
    assert.equal(change(await other.event('pin_change')), '22=1 write');
    assert.equal(change(await other.event('pin_change')), '22=0 lease');

    await client.request({ action: 'watch_pin', pin: 22 });
    client.send({ id: 10, action: 'write_pin', pin: 22, value: 1 });
    const first = await client.next((m) => m.id === 10 || m.event === 'pin_change');
    assert.equal(first.id, 10, 'an event a request caused follows its response');
    assert.equal(change(await client.event('pin_change')), '22=1 write');
    assert.deepEqual((await client.request({ action: 'unwatch_pin', pin: 22 })).watching, false);
    await client.request({ action: 'write_pin', pin: 22, value: 0 });
    await client.request({ action: 'ping' });
    assert.deepEqual(client.inbox.filter((m) => m.event === 'pin_change'), [], 'nothing after unwatch_pin');
    assert.equal((await client.request({ action: 'watch_pin', pin: 9 })).code, 'PL_ERR_PIN_NOT_SETUP');
  });

  test(`${runtime}: when the owner's connection drops its outputs go to their safe values`, async (t) => {
    const board = await boardFor(t);
    const owner = await lineClient(t, board);
    const watcher = await lineClient(t, board);
    await owner.request({ action: 'setup_pin', pin: 16, mode: 'output', value: 0, safe: 0 });
    await owner.request({ action: 'setup_pin', pin: 17, mode: 'output', value: 0 });
    await owner.request({ action: 'setup_pin', pin: 18, mode: 'output', value: 0, safe: 0 });
    await owner.request({ action: 'set_pwm', pin: 18, freq: 500, duty: 0.5 });
    await owner.request({ action: 'write_pin', pin: 16, value: 1, timeout: 60 });
    await owner.request({ action: 'write_pin', pin: 17, value: 1 });
    await watcher.request({ action: 'watch_pin', pin: 16 });
    owner.socket.resetAndDestroy();
    assert.equal(change(await watcher.event('pin_change')), '16=0 failsafe');
    await board.waitForHw(() => board.lastWrite(18) === 0, 2000, 'the PWM pin to stop');
    assert.equal(await board.level(16), 0, 'the relay is off');
    assert.equal(await board.level(17), 1, 'a pin without a safe value keeps its level');
    assert.equal((await watcher.request({ action: 'read_pin', pin: 18 })).value, 0, 'the PWM pin is an output again');
  });

  test(`${runtime}: a controller stopped with SIGSTOP loses its outputs to their safe values within 10 s; a quiet live one keeps them`, async (t) => {
    const board = await boardFor(t);
    const live = await startControllerProcess(board.url, [2]);
    t.after(() => endProcess(live));
    const stopped = await startControllerProcess(board.url, [3]);
    t.after(() => endProcess(stopped));
    assert.deepEqual([await board.level(2), await board.level(3)], [1, 1]);
    assert.ok(stopped.kill('SIGSTOP'));
    const stoppedAt = performance.now();
    await delay(1000);
    assert.equal(await board.level(3), 1, 'still on shortly after the controller stopped');
    await board.waitForHw(() => board.lastWrite(3) === 0, 11_000, 'the failsafe on pin 3');
    const safeAfterMs = performance.now() - stoppedAt;
    assert.ok(safeAfterMs <= 12_000, `safe after ${Math.round(safeAfterMs)} ms`);
    t.diagnostic(`stopped controller's output went safe ${Math.round(safeAfterMs)} ms after SIGSTOP (bound 10000 ms)`);
    await delay(1000);
    assert.deepEqual(board.pinEvents(2).filter((e) => e.op === 'write').map((e) => e.level), [0, 1], 'the live controller answered the pings');
  });

  test(`${runtime}: a silent controller is pinged only if it sent ids; with safe values at stake, silence ends it`, async (t) => {
    const board = await boardFor(t, { config: { controller_timeout_ms: 1000 } });
    const picolink = await lineClient(t, board);
    const legacy = await lineClient(t, board);
    const plain = await lineClient(t, board);
    await picolink.request({ id: 1, action: 'setup_pin', pin: 2, mode: 'output', value: 1, safe: 0 });
    await legacy.request({ action: 'setup_pin', pin: '3', mode: 'output', value: '1', safe: '0', time_sent: Date.now() * 1e6 });
    await plain.request({ action: 'setup_pin', pin: 4, mode: 'output', value: 1 });
    const silentFrom = performance.now();
    const ping = await picolink.next((m) => m.action === 'ping', 3000);
    assert.match(String(ping.id), /^d\d+$/);
    const closing = await picolink.event('closing', 3000);
    assert.equal(closing.code, 'PL_ERR_IDLE_TIMEOUT');
    assert.match(String(closing.error), /safe values applied/);
    assert.equal((await legacy.event('closing', 3000)).code, 'PL_ERR_IDLE_TIMEOUT');
    const elapsed = performance.now() - silentFrom;
    assert.ok(elapsed < 2500, `closed after ${Math.round(elapsed)} ms`);
    assert.equal(legacy.inbox.filter((m) => m.action === 'ping').length, 0, 'a client without ids is never pinged');
    assert.deepEqual([await board.level(2), await board.level(3), await board.level(4)], [0, 0, 1]);
    assert.equal(plain.inbox.filter((m) => m.action === 'ping').length, 0);
    assert.equal(await plain.closesWithin(0), false, 'nothing at stake: the idle timeout applies as before');
  });

  test(`${runtime}: safe_after_ms keeps an output through a reconnect; a link gone longer goes safe at about safe_after_ms`, async (t) => {
    const board = await boardFor(t);
    const first = await lineClient(t, board);
    const watcher = await lineClient(t, board);
    await first.request({ id: 1, action: 'setup_pin', pin: 5, mode: 'output', value: 1, safe: 0, safe_after_ms: 1500 });
    await first.request({ id: 2, action: 'setup_pin', pin: 6, mode: 'output', value: 1, safe: 0, safe_after_ms: 800 });
    await watcher.request({ id: 1, action: 'watch_pin', pin: 6, debounce_ms: 0 });
    first.socket.resetAndDestroy();
    const lostAt = performance.now();
    await delay(400);
    const second = await lineClient(t, board);
    assert.equal((await second.request({ id: 1, action: 'setup_pin', pin: 5, mode: 'output', safe: 0, safe_after_ms: 1500 })).value, 1);
    await second.request({ id: 2, action: 'write_pin', pin: 5, value: 1 });
    const event = await watcher.event('pin_change', 3000);
    const after = performance.now() - lostAt;
    assert.equal(change(event), '6=0 failsafe');
    assert.ok(after >= 700 && after < 1800, `pin 6 safe after ${Math.round(after)} ms`);
    await delay(1500 - (performance.now() - lostAt) + 300);
    assert.equal(await board.level(5), 1);
    assert.ok(!board.pinEvents(5).some((e) => e.op === 'write' && e.level === 0), 'pin 5 never went to its safe value');
  });

  test(`${runtime}: a piconetcontrol-style client (--no-ssl) drives the agent`, async (t) => {
    const board = await boardFor(t);
    await piconetcontrolSession(board, false);
  });

  if (options.tls) {
    test(`${runtime}: TLS with a DER certificate; the SDK pins it, piconetcontrol's client uses its default TLS`, async (t) => {
      const tls = options.tlsBoard?.() ?? {};
      const board = await boardFor(t, tls);
      const fingerprint = tls.fingerprint;
      const device = await connect(board.url, { timeoutMs: 5000, ...(fingerprint ? { fingerprint } : {}) });
      t.after(() => device.close());
      assert.deepEqual(device.capabilities, [...CAPABILITIES, 'tls']);
      await device.pin(2).setup('output', { value: 1 });
      assert.equal(await board.level(2), 1);
      await piconetcontrolSession(board, true);
    });

    test(`${runtime}: a client that fails the TLS handshake is logged as such, and the device keeps serving`, async (t) => {
      const board = await boardFor(t, options.tlsBoard?.() ?? {});
      // Plain TCP to the TLS port: a JSON line where the handshake should be.
      const plain = tcpConnect(board.port, '127.0.0.1');
      t.after(() => plain.destroy());
      plain.on('error', () => {});
      plain.write('{"action":"ping"}\n');
      if (runtime === 'cpython') {
        // CPython's asyncio handshakes before the agent sees the connection, and closes it.
        await new Promise((resolve) => plain.once('close', resolve));
      } else {
        // MicroPython runs the handshake inside the session's first read, so the session
        // logs it. (Its raw socket stays open: MicroPython's TLS lets go of it on failure,
        // and only a board's garbage collector closes it.)
        await board.waitForOutput(/client \S+ \(#\d+\): TLS handshake failed \(the peer does not speak TLS\)/, 5000);
      }
      const client = await lineClient(t, board);
      assert.equal((await client.request({ action: 'ping' })).ok, true);
      assert.doesNotMatch(board.log, /internal error/);
    });
  }

  async function piconetcontrolSession(board: Board, useSsl: boolean): Promise<void> {
    const client = new PiconetcontrolClient(board.port, useSsl);
    const commands = [
      { action: 'ping' },
      { action: 'get_version' },
      { action: 'get_info' },
      { action: 'get_resource_info' },
      { action: 'list_actions' },
      { action: 'setup_pin', pin: '2', mode: 'output', value: '0' },
      { action: 'write_pin', pin: '2', value: '1', timeout: '0.3' },
      { action: 'read_pin', pin: '2' },
      { action: 'setup_pin', pin: '3', mode: 'input' },
      { action: 'read_pin', pin: '3' },
      { action: 'read_pin', pin: '7' },
      { action: 'write_pin', pin: '2' },
      { action: 'blink' },
    ];
    const responses = await client.sendCommands(commands);
    commands.forEach((command, i) => {
      const response = responses[i] ?? assert.fail('missing response');
      for (const [field, value] of Object.entries(command)) {
        if (field === 'value' && command.action === 'setup_pin') continue;
        assert.deepEqual(response[field], value, `${command.action}: "${field}" echoed as sent`);
      }
      assert.equal(typeof response.time_sent, 'number');
    });
    const [ping, version, info, resourceInfo, actions, setup, write, read, , readInput, notSetUp, missing, unknown] = responses;
    assert.equal(ping?.ok, true);
    assert.equal(version?.version, '0.1.0');
    for (const reply of [info, resourceInfo]) {
      for (const key of ['mem_free', 'mem_alloc', 'board']) assert.ok(key in (reply?.info as object), `info has ${key}`);
    }
    assert.deepEqual(actions?.actions, ACTION_NAMES);
    assert.equal(setup?.value, 0);
    assert.deepEqual([write?.previous, write?.reverts_to, write?.lease_ms], [0, 0, 300]);
    assert.equal(read?.value, 1);
    assert.equal(readInput?.value, 0);
    assert.match(notSetUp?.error as string, /^pin 7 is not set up/);
    assert.equal(missing?.error, 'incomplete command, missing fields: value');
    assert.equal(unknown?.error, 'unknown action "blink", use "list_actions" to list available actions');
    for (const reply of [notSetUp, missing, unknown]) assert.equal(typeof reply?.exception, 'string');
    await board.waitForHw(() => board.lastWrite(2) === 0, 2000, 'the piconetcontrol lease to end');
  }

  test(`${runtime}: pipelined requests are answered in order`, async (t) => {
    const board = await boardFor(t);
    const client = await lineClient(t, board);
    const count = 40;
    client.send(Array.from({ length: count }, (_, i) => JSON.stringify({ id: i, action: i % 2 ? 'ping' : 'read_adc', channel: i % 2 ? undefined : 4 }) + '\n').join(''));
    for (let i = 0; i < count; i++) {
      const reply = await client.response();
      assert.equal(reply.id, i);
      assert.equal(reply.ok, true);
    }
  });

  test(`${runtime}: bad input gets a coded answer and never disturbs another client`, async (t) => {
    const board = await boardFor(t, { config: { max_frame_bytes: 1024, hello_timeout_ms: 300 } });
    const good = await lineClient(t, board);
    assert.equal((await good.request({ action: 'ping' })).ok, true);
    async function stillServed(): Promise<void> {
      const reply = await good.request({ id: 'still-here', action: 'read_adc', channel: 3 });
      assert.deepEqual([reply.ok, reply.id], [true, 'still-here']);
    }

    const bad = await lineClient(t, board);
    bad.send('{"action": "ping",\n');
    const json = await bad.response();
    assert.deepEqual([json.code, json.exception], ['PL_ERR_BAD_JSON', 'ValueError']);
    assert.match(json.error as string, /^invalid JSON/);
    assert.deepEqual(Object.keys(json).sort(), ['code', 'error', 'exception', 'ok']);
    bad.send('[1, 2, 3]\n');
    assert.equal((await bad.response()).code, 'PL_ERR_NOT_OBJECT');
    bad.send('{"a" 1}\n{"a":01}\n{"a":1,}\n');
    for (let i = 0; i < 3; i++) assert.equal((await bad.response()).code, 'PL_ERR_BAD_JSON', 'JSON that MicroPython json.loads would accept');
    const unknown = await bad.request({ id: 7, action: 'fly', height: 3 });
    assert.deepEqual([unknown.id, unknown.height, unknown.code, unknown.exception], [7, 3, 'PL_ERR_UNKNOWN_ACTION', 'ValueError']);
    const missing = await bad.request({ id: 1, action: 'write_pin' });
    assert.deepEqual([missing.code, missing.error], ['PL_ERR_MISSING_FIELD', 'incomplete command, missing fields: pin, value']);
    const extra = await bad.request({ action: 'read_pin', pin: 2, colour: 'red' });
    assert.deepEqual([extra.code, extra.error, extra.colour], ['PL_ERR_UNKNOWN_FIELD', 'unknown field "colour"; read_pin takes pin', 'red']);
    const abc = await bad.request({ action: 'read_pin', pin: 'abc' });
    assert.deepEqual([abc.code, abc.error], ['PL_ERR_BAD_TYPE', 'field "pin" must be a GPIO number or "LED", got "abc"']);
    assert.equal((await bad.request({ action: 'setup_pin', pin: 5, mode: 'output', value: true, safe: 2 })).code, 'PL_ERR_BAD_TYPE');
    assert.equal((await bad.request({ action: 'set_pwm', pin: 5, freq: true, duty: 0.5 })).code, 'PL_ERR_BAD_TYPE', 'true is no integer');
    assert.equal((await bad.request({ action: 'write_pin', pin: 2, value: 1, timeout: -1 })).code, 'PL_ERR_OUT_OF_RANGE');
    assert.equal((await bad.request({ id: { nested: true }, action: 'ping' })).code, 'PL_ERR_BAD_TYPE');
    const coerced = await bad.request({ action: 'setup_pin', pin: '2', mode: 'OUTPUT', value: 'on' });
    assert.deepEqual([coerced.ok, coerced.pin, coerced.mode, coerced.value], [true, '2', 'OUTPUT', 1]);
    bad.send({ id: 99, ok: true, time_received: 1 });
    bad.send({ event: 'hello' });
    assert.equal((await bad.request({ id: 'after', action: 'ping' })).id, 'after', 'responses and events sent to it get no answer');
    await stillServed();

    const large = await lineClient(t, board);
    large.send('{"action":"ping","padding":"' + 'x'.repeat(3000));
    const tooLarge = await large.response();
    assert.deepEqual([tooLarge.code, tooLarge.exception, 'padding' in tooLarge], ['PL_ERR_FRAME_TOO_LARGE', 'MemoryError', false]);
    assert.equal(await large.closesWithin(2000), true);
    await stillServed();

    const utf8 = await lineClient(t, board);
    utf8.send(Buffer.concat([Buffer.from('{"action":"ping","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]));
    assert.equal((await utf8.response()).code, 'PL_ERR_BAD_UTF8');
    assert.equal(await utf8.closesWithin(2000), true);
    await stillServed();

    const silent = await lineClient(t, board);
    const closing = await silent.event('closing', 3000);
    assert.equal(closing.code, 'PL_ERR_IDLE_TIMEOUT');
    assert.match(closing.error as string, /no request within 300 ms/);
    assert.equal(await silent.closesWithin(2000), true);

    const half = await lineClient(t, board);
    half.send('{"action":"write_pin","pin":6,"val');
    half.socket.resetAndDestroy();
    await stillServed();
  });

  test(`${runtime}: connection limit, idle timeout and half-closed clients`, async (t) => {
    const board = await boardFor(t, { config: { max_clients: 2, idle_timeout_ms: 300 } });
    const first = await lineClient(t, board);
    const second = await lineClient(t, board);
    await first.request({ action: 'ping' });
    await second.request({ action: 'ping' });
    const third = await lineClient(t, board);
    const refused = await third.event('closing');
    assert.equal(refused.code, 'PL_ERR_TOO_MANY_CLIENTS');
    assert.match(refused.error as string, /already serves 2 clients/);
    assert.equal(await third.closesWithin(2000), true);
    for (let i = 0; i < 8; i++) {
      await first.request({ action: 'ping' });
      await delay(60);
    }
    const idle = await second.event('closing', 2000);
    assert.equal(idle.code, 'PL_ERR_IDLE_TIMEOUT');
    assert.match(idle.error as string, /no frame for 300 ms/);
    assert.equal(first.socket.destroyed, false, 'pings kept the other connection open');

    const half = await LineClient.connect(board.port);
    t.after(() => half.close());
    half.socket.end('{"id":1,"action":"ping"}\n{"id":2,"action":"get_version"}\n\n');
    assert.equal((await half.response()).id, 1);
    assert.equal((await half.response()).id, 2);
  });

  test(`${runtime}: a ping nested 4,200 deep gets PL_ERR_JSON_TOO_COMPLEX; the connection and another client go on`, async (t) => {
    const board = await boardFor(t);
    const bystander = await lineClient(t, board);
    const attacker = await lineClient(t, board);
    attacker.send(`{"action":"ping","x":${'['.repeat(4200)}${']'.repeat(4200)}}\n`);
    const reply = await attacker.response();
    assert.equal(reply.code, 'PL_ERR_JSON_TOO_COMPLEX');
    assert.deepEqual(Object.keys(reply).sort(), ['code', 'error', 'exception', 'ok'], 'nothing of the request is echoed');
    assert.equal((await attacker.request({ id: 'after', action: 'ping' })).id, 'after');
    assert.equal((await bystander.request({ action: 'ping' })).ok, true);
  });

  test(`${runtime}: when full, the oldest connection that sent no request is evicted for a newcomer; served ones never are`, async (t) => {
    const board = await boardFor(t, { config: { max_clients: 2 } });
    const idleOld = await lineClient(t, board);
    await delay(50);
    const idleNew = await lineClient(t, board);
    await delay(50);
    const controller = await lineClient(t, board);
    assert.equal((await controller.request({ action: 'ping' })).ok, true, 'the newcomer is served');
    const evicted = await idleOld.event('closing');
    assert.equal(evicted.code, 'PL_ERR_TOO_MANY_CLIENTS');
    assert.match(evicted.error as string, /sent no request yet; it was closed to make room/);
    assert.equal(await idleOld.closesWithin(2000), true);
    assert.equal(idleNew.socket.destroyed, false, 'the newer idle one is left alone');
    assert.equal((await idleNew.request({ action: 'ping' })).ok, true);
    const refused = await lineClient(t, board);
    assert.equal((await refused.event('closing')).code, 'PL_ERR_TOO_MANY_CLIENTS', 'with every slot served, the newcomer is refused');
    assert.equal((await controller.request({ action: 'ping' })).ok, true);
  });

  test(`${runtime}: telemetry datagrams are signed, numbered and resent until acknowledged`, async (t) => {
    const receiver = createSocket('udp4');
    t.after(() => receiver.close());
    await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', () => resolve()));
    const received: Array<{ message: TelemetryDatagram; text: string; from: RemoteInfo }> = [];
    const key = Buffer.from(TELEMETRY_KEY, 'hex');
    const sign = (text: string): string => createHmac('sha256', key).update(text, 'utf8').digest('hex');
    let acking = false;
    receiver.on('message', (data, from) => {
      const text = data.toString('utf8');
      const { message, authenticated } = parseTelemetry(text, (device, signed) => (device === 'test-pico' ? sign(signed) : undefined));
      assert.equal(authenticated, true);
      received.push({ message, text, from });
      if (acking && message.ack) {
        receiver.send(encodeTelemetryAck({ v: 1, device: message.device, boot: message.boot, ack: message.seq }, sign), from.port, from.address);
      }
    });
    const port = receiver.address().port;
    const board = await boardFor(t, {
      config: {
        telemetry: { target: `127.0.0.1:${port}`, interval_ms: 60, sensors: ['temp_c', 'adc0', 'pin2'], key: TELEMETRY_KEY, ack: true, max_unacked: 4 },
      },
    });
    const client = await lineClient(t, board);
    await client.request({ action: 'setup_pin', pin: 2, mode: 'output', value: 1 });
    board.setAdc(0, 65535);
    const until = async (what: string, ok: () => boolean): Promise<void> => {
      const deadline = Date.now() + 3000;
      while (!ok()) {
        if (Date.now() > deadline) assert.fail(`${what}; received ${received.length} datagrams`);
        await delay(20);
      }
    };
    // No acks yet: unacknowledged datagrams come back unchanged, at most max_unacked of them.
    await until('resends', () => new Set(received.map((r) => r.message.seq)).size < received.length && received.length > 10);
    const first = received[0]?.message ?? assert.fail('no datagram');
    assert.equal(first.device, 'test-pico');
    assert.equal(first.ack, true);
    assert.ok(Math.abs((first.readings.temp_c ?? 0) - 25) < 2);
    const withPin = received.find((r) => r.message.readings.pin2 !== undefined)?.message ?? assert.fail('no pin2 reading');
    assert.equal(withPin.readings.pin2, 1);
    assert.ok(received.some((r) => r.message.readings.adc0 === 3.3), 'adc0 in volts');
    const bySeq = new Map<number, string>();
    for (const r of received) {
      const seen = bySeq.get(r.message.seq);
      if (seen !== undefined) assert.equal(r.text, seen, 'a resend is the same datagram');
      bySeq.set(r.message.seq, r.text);
    }
    const seqs = [...bySeq.keys()].sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i), 'sequence numbers count up from 0');
    const newest = seqs.at(-1) ?? 0;
    const resentLate = received.slice(-6).map((r) => r.message.seq);
    assert.ok(resentLate.every((s) => s > newest - 6), `only the last max_unacked are resent: ${resentLate.join(',')}`);
    assert.ok(received.every((r) => r.message.boot === first.boot));

    // Acks signed with another key, or for another boot, are ignored, and the log says so.
    const from = received[0]?.from ?? assert.fail('no sender');
    const signWrong = (text: string): string => createHmac('sha256', 'another key').update(text, 'utf8').digest('hex');
    receiver.send(encodeTelemetryAck({ v: 1, device: first.device, boot: first.boot, ack: first.seq }, signWrong), from.port, from.address);
    receiver.send(encodeTelemetryAck({ v: 1, device: first.device, boot: first.boot ^ 1, ack: first.seq }, sign), from.port, from.address);
    await board.waitForOutput('telemetry acks ignored (2 so far): not for this device and boot, or not signed with its key');
    assert.match(board.log, /telemetry acks ignored \(1 so far\)/);

    // Acknowledge from now on: resends stop.
    acking = true;
    await delay(300);
    const mark = received.length;
    await until('fresh datagrams', () => received.length > mark + 5);
    const later = received.slice(mark).map((r) => r.message.seq);
    assert.equal(new Set(later).size, later.length, `no resends once acknowledged: ${later.join(',')}`);
  });

  test(`${runtime}: update with SHA-256 swaps the files, restarts and confirms; bad updates change nothing`, async (t) => {
    const board = await boardFor(t);
    const device = await sdk(t, board);
    const original = (await board.file('picolink/led.py')) ?? assert.fail('no led.py');
    const extra = "# Extra module shipped by an update.\nVALUE = 42\n";
    const led = original.replace('# The on-board LED', '# The on-board status LED');
    const wrong = await device.send({ action: 'update', files: { 'picolink/led.py': led }, sha256: { 'picolink/led.py': '0'.repeat(64) } });
    assert.deepEqual([wrong.code, wrong.files], ['PL_ERR_UPDATE_HASH', ['picolink/led.py']]);
    assert.match(wrong.error as string, /nothing was replaced/);
    const notZlib = await device.send({ action: 'update', compress: true, files: { 'picolink/led.py': Buffer.from('hi').toString('base64') } });
    assert.equal(notZlib.code, 'PL_ERR_UPDATE_FILE');
    assert.equal((await device.send({ action: 'update', compress: true, files: { 'picolink/led.py': '%%%' } })).code, 'PL_ERR_UPDATE_FILE');
    assert.equal((await device.send({ action: 'update', files: { '../boot.py': 'x' } })).code, 'PL_ERR_UPDATE_FILE');
    assert.equal(await board.file('picolink/led.py'), original);
    assert.equal(await board.file('picolink/led.py.new'), undefined);

    const result = await device.update({ 'picolink/led.py': led, 'picolink/extra.py': extra }, { compress: true });
    assert.deepEqual(result.updated, ['picolink/extra.py', 'picolink/led.py']);
    assert.ok(result.delayMs !== undefined && result.delayMs <= 50 && result.delayMs > 20, `restart in ${result.delayMs} ms`);
    await board.bootedTimes(2);
    assert.deepEqual(board.exits, [3], 'the agent restarted through machine.reset()');
    const again = await connectWhenUp(board.port);
    t.after(() => again.close());
    const info = (await again.request({ action: 'get_info' })).info as Record<string, unknown>;
    assert.deepEqual(info.last_update, { status: 'ok', files: ['picolink/extra.py', 'picolink/led.py'] });
    assert.equal(await board.file('picolink/led.py'), led);
    assert.equal(await board.file('picolink/led.py.bak'), original);
    assert.equal(await board.file('picolink/extra.py'), extra);
    assert.equal(await board.file('.picolink-update.json'), undefined, 'the marker is cleared after a good start');
    const sha = createHash('sha256').update(led).digest('hex');
    assert.equal(createHash('sha256').update((await board.file('picolink/led.py')) ?? '').digest('hex'), sha);
  });

  test(`${runtime}: an update whose code fails to start is rolled back`, async (t) => {
    const board = await boardFor(t, {}, true);
    const client = await lineClient(t, board);
    const original = (await board.file('picolink/app.py')) ?? assert.fail('no app.py');
    const broken = 'raise RuntimeError("this update does not start")\n';
    const sha = createHash('sha256').update(broken).digest('hex');
    const files = { 'picolink/app.py': deflateSync(broken).toString('base64') };
    const reply = await client.request({ action: 'update', files, compress: true, sha256: { 'picolink/app.py': sha } });
    assert.equal(reply.ok, true, JSON.stringify(reply));
    assert.deepEqual(reply.files, ['picolink/app.py'], 'the echo names the files without their content');
    assert.equal(await client.closesWithin(3000), true);
    // Boot 2 runs the new code, which fails: rolled back, restart; boot 3 runs the old code.
    await board.bootedTimes(3, 15000);
    assert.deepEqual(board.exits.slice(0, 2), [3, 3]);
    assert.match(board.log, /this update does not start/);
    assert.equal(await board.file('picolink/app.py'), original);
    assert.equal(await board.file('.picolink-update.json'), undefined);
    const again = await connectWhenUp(board.port);
    t.after(() => again.close());
    const info = (await again.request({ action: 'get_info' })).info as Record<string, unknown>;
    assert.deepEqual(info.last_update, { status: 'rolled_back', files: ['picolink/app.py'] });
  });

  test(`${runtime}: reset closes connections after the failsafe, and the board comes back unconfigured`, async (t) => {
    const board = await boardFor(t);
    const owner = await lineClient(t, board);
    const watcher = await lineClient(t, board);
    await owner.request({ action: 'setup_pin', pin: 2, mode: 'output', value: 1, safe: 0 });
    await watcher.request({ action: 'watch_pin', pin: 2 });
    await delay(100);
    const before = ((await owner.request({ action: 'get_info' })).info as { uptime_ms: number }).uptime_ms;
    assert.equal((await owner.request({ action: 'reset' })).delay_ms, 50);
    assert.deepEqual(change(await watcher.event('pin_change')), '2=0 failsafe');
    const closing = await watcher.event('closing');
    assert.equal(closing.code, 'PL_ERR_CONNECTION_CLOSED');
    assert.match(closing.error as string, /restarting/);
    assert.equal(await owner.closesWithin(2000), true);
    await board.bootedTimes(2);
    const again = await connectWhenUp(board.port);
    t.after(() => again.close());
    assert.equal((await again.request({ action: 'read_pin', pin: 2 })).code, 'PL_ERR_PIN_NOT_SETUP');
    const after = ((await again.request({ action: 'get_info' })).info as { uptime_ms: number }).uptime_ms;
    assert.ok(after < before + 1000, `uptime starts again (${before} → ${after} ms)`);
  });

  test(`${runtime}: an agent stopped by an error blinks the LED's error pattern until it restarts`, async (t) => {
    const board = await boardFor(t, {}, true);
    const client = await lineClient(t, board);
    // While the board is in deep sleep its flash gets a configuration the next boot refuses.
    await client.request({ action: 'sleep', time_ms: 1500, deep: true });
    await board.waitForHw(() => board.exits.length >= 1, 5000, 'deep sleep');
    const path = join(board.flashDir, 'config.json');
    const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...config, max_clients: 'many', crash_restart_ms: 1000 }));
    await board.waitForOutput('picolink: stopped by an error; restarting in 1000 ms', 8000);
    await board.waitForHw(() => board.exits.length >= 2, 8000, 'the restart after the error');
    assert.deepEqual(board.exits.slice(0, 2), [4, 3]);
    assert.match(board.log, /"max_clients" must be a whole number/);
    // Ten 50 ms blinks 100 ms apart, then 1 s dark, and the restart.
    const ons = board.hw.filter((e) => e.boot === 2 && e.pin === 'LED' && e.op === 'write' && e.level === 1);
    assert.equal(ons.length, 10);
    const gaps = ons.slice(1).map((e, i) => e.t - (ons[i]?.t ?? 0));
    assert.ok(gaps.every((g) => g >= 90 && g < 400), `one blink per 100 ms: ${gaps.join(', ')}`);
  });

  test(`${runtime}: light sleep holds frames for its time; deep sleep closes connections until the board wakes`, async (t) => {
    const board = await boardFor(t);
    const client = await lineClient(t, board);
    assert.equal((await client.request({ action: 'sleep', time_ms: 400 })).delay_ms, 50);
    await board.waitForHw((hw) => hw.some((e) => e.op === 'lightsleep'), 2000, 'light sleep');
    const sent = Date.now();
    const reply = await client.request({ id: 'a', action: 'ping' }, 3000);
    assert.equal(reply.ok, true);
    assert.ok(Date.now() - sent >= 150, `answered after ${Date.now() - sent} ms: the board slept`);

    await client.request({ action: 'setup_pin', pin: 5, mode: 'output', value: 1 });
    const started = Date.now();
    assert.equal((await client.request({ action: 'sleep', time_ms: 400, deep: 'true' })).delay_ms, 50);
    const closing = await client.event('closing');
    assert.match(closing.error as string, /deep sleep/);
    assert.equal(await client.closesWithin(2000), true);
    await board.bootedTimes(2, 8000);
    assert.ok(Date.now() - started >= 350, `woke after ${Date.now() - started} ms`);
    assert.deepEqual(board.exits, [4]);
    const awake = await connectWhenUp(board.port);
    t.after(() => awake.close());
    assert.equal((await awake.request({ action: 'read_pin', pin: 5 })).code, 'PL_ERR_PIN_NOT_SETUP');
  });

  test(`${runtime}: dials home: hello with its token, the hub's clock, the hub's requests, heartbeats, failsafe, reconnect`, async (t) => {
    const hub = await HubStandIn.start();
    t.after(() => hub.close());
    const board = await boardFor(t, { config: { hub: `127.0.0.1:${hub.port}`, token: 's3cret', hub_backoff_ms: 50 } });
    const link = await hub.next();
    t.after(() => link.close());
    const hello = await link.next((m) => m.action === 'hello');
    assert.equal(typeof hello.boot, 'number');
    assert.deepEqual(hello, {
      id: 'd1', action: 'hello', device: 'test-pico', token: 's3cret', protocol: 1, firmware: '0.1.0', capabilities: [...CAPABILITIES], boot: hello.boot,
    });
    // The hub's clock is an hour ahead of this machine's: the device takes the hub's.
    const hubAhead = 3_600_000;
    HubStandIn.welcome(link, hello, { serverTime: Date.now() + hubAhead, heartbeatMs: 150 });
    await board.waitForOutput(/hub 127\.0\.0\.1:\d+: welcome \(heartbeat 150 ms\)/);
    const setup = await link.request({ id: 1, action: 'setup_pin', pin: 2, mode: 'output', value: 1, safe: 0 });
    assert.deepEqual([setup.id, setup.ok, setup.value], [1, true, 1]);
    const info = await link.request({ id: 2, action: 'get_info' });
    const skew = (info.time_received as number) / 1e6 - (Date.now() + hubAhead);
    assert.ok(Math.abs(skew) < 2000, `time_received follows the hub's clock (off by ${skew} ms)`);
    assert.equal((info.info as Record<string, unknown>).device_id, 'test-pico');
    // Quiet for a heartbeat: the device pings the hub.
    const ping = await link.next((m) => m.action === 'ping', 2000);
    assert.match(String(ping.id), /^d\d+$/);
    link.send({ id: ping.id, action: 'ping', ok: true, time_received: Date.now() * 1e6 });
    // The link drops: the pins the hub owned go to their safe values, and the device dials again.
    link.socket.destroy();
    await board.waitForHw(() => board.lastWrite(2) === 0, 3000, 'the failsafe on pin 2');
    const again = await hub.next();
    t.after(() => again.close());
    const hello2 = await again.next((m) => m.action === 'hello');
    assert.equal(hello2.boot, hello.boot, 'same boot: the device did not restart');
    HubStandIn.welcome(again, hello2, { heartbeatMs: 100 });
    // This hub never answers: after three heartbeats of silence the device closes the link.
    const closing = await again.event('closing', 3000);
    assert.equal(closing.code, 'PL_ERR_IDLE_TIMEOUT');
    assert.match(closing.error as string, /no frame for 300 ms/);
    const third = await hub.next();
    t.after(() => third.close());
    assert.equal((await third.next((m) => m.action === 'hello')).action, 'hello');
  });

  test(`${runtime}: a hub that refuses the hello is dialled again later`, async (t) => {
    const hub = await HubStandIn.start();
    t.after(() => hub.close());
    const board = await boardFor(t, { config: { hub: `127.0.0.1:${hub.port}`, token: 'wrong', hub_backoff_ms: 50 } });
    const link = await hub.next();
    t.after(() => link.close());
    const hello = await link.next((m) => m.action === 'hello');
    const { token: _token, ...echo } = hello;
    link.send({ ...echo, ok: false, error: 'wrong token for device "test-pico"', code: 'PL_ERR_UNAUTHORIZED', exception: 'PermissionError' });
    await board.waitForOutput(/hub 127\.0\.0\.1:\d+: wrong token for device "test-pico"/);
    const retry = await hub.next();
    t.after(() => retry.close());
    assert.equal((await retry.next((m) => m.action === 'hello')).token, 'wrong');
  });

  test(`${runtime}: a hub that refuses the connection is logged in words with the wait before the next attempt`, async (t) => {
    // A port nothing listens on any more.
    const gone = await HubStandIn.start();
    const { port } = gone;
    await gone.close();
    const board = await boardFor(t, { config: { hub: `127.0.0.1:${port}`, hub_backoff_ms: 50 } });
    const refused = `hub 127\\.0\\.0\\.1:${port}: connection refused; retrying in \\d+ ms`;
    await board.waitForOutput(new RegExp(`${refused}[\\s\\S]*${refused}`), 5000);
    assert.doesNotMatch(board.log, /internal error/);
  });

  test(`${runtime}: given a dead hub address first, the agent comes online on the live second; when that hub stops it comes back on the next live one`, async (t) => {
    const gone = await HubStandIn.start();
    const dead = gone.port;
    await gone.close();
    const second = await HubStandIn.start();
    const third = await HubStandIn.start();
    t.after(() => Promise.all([second.close(), third.close()]));
    const board = await boardFor(t, { config: { hub: [`127.0.0.1:${dead}`, `127.0.0.1:${second.port}`, `127.0.0.1:${third.port}`], hub_backoff_ms: 50 } });
    const deadRefused = `hub 127.0.0.1:${dead}: connection refused; trying the next hub in 250 ms`;
    const link = await second.next(10_000);
    t.after(() => link.close());
    HubStandIn.welcome(link, await link.next((m) => m.action === 'hello'));
    await board.waitForOutput(`hub 127.0.0.1:${second.port}: welcome`);
    assert.ok(board.log.includes(deadRefused), board.log);
    assert.equal((await link.request({ id: 1, action: 'ping' })).ok, true);
    // The second hub stops: the next round starts from the first address again, and the
    // third hub welcomes the device.
    const before = board.log.length;
    const secondPort = second.port;
    await second.close();
    const moved = await third.next(10_000);
    t.after(() => moved.close());
    HubStandIn.welcome(moved, await moved.next((m) => m.action === 'hello'));
    await board.waitForOutput(`hub 127.0.0.1:${third.port}: welcome`);
    const after = board.log.slice(before);
    assert.ok(after.includes(deadRefused) && after.includes(`hub 127.0.0.1:${secondPort}: connection refused; trying the next hub`), after);
    assert.equal(((await moved.request({ id: 1, action: 'get_info' })).info as Record<string, unknown>).device_id, 'test-pico');
    assert.doesNotMatch(board.log, /internal error/);
  });

  if (options.hubCert) {
    test(`${runtime}: dials home over TLS; a hub with another certificate is refused during the handshake and never gets the hello`, async (t) => {
      const cert = options.hubCert?.() ?? assert.fail('no certificate');
      const hub = await HubStandIn.start(cert);
      t.after(() => hub.close());
      await boardFor(t, { config: { hub: `127.0.0.1:${hub.port}`, hub_tls: true, hub_fingerprint: cert.fingerprint, token: 's3cret', hub_backoff_ms: 50 } });
      const link = await hub.next();
      t.after(() => link.close());
      const hello = await link.next((m) => m.action === 'hello');
      assert.deepEqual([hello.token, hello.capabilities], ['s3cret', [...CAPABILITIES, 'tls']]);
      HubStandIn.welcome(link, hello);
      assert.equal((await link.request({ id: 1, action: 'ping' })).ok, true);

      const other = options.hubCert?.() ?? assert.fail('no certificate');
      const impostor = await HubStandIn.start(other);
      t.after(() => impostor.close());
      const pinned = await boardFor(t, { config: { hub: `127.0.0.1:${impostor.port}`, hub_tls: true, hub_fingerprint: cert.fingerprint, token: 's3cret', hub_backoff_ms: 50 } });
      const seen = other.fingerprint.replaceAll(':', '').toLowerCase();
      const refusal = `hub 127\\.0\\.0\\.1:${impostor.port}: the hub's certificate is not the one in hub_fingerprint \\(it has SHA-256 ${seen}\\); [^\\n]*\\(PL_ERR_TLS_FINGERPRINT_MISMATCH\\); retrying in \\d+ ms`;
      // Refused twice: the retry does not send the hello either.
      await pinned.waitForOutput(new RegExp(`${refusal}[\\s\\S]*${refusal}`), 8000);
      assert.ok(impostor.connections >= 2, `${impostor.connections} connection(s) to the other hub`);
      assert.equal(impostor.received, '', 'nothing, neither hello nor token, reaches a hub with another certificate');
      assert.doesNotMatch(pinned.log, /internal error/);
    });
  }

  test(`${runtime}: WiFi is retried with backoff; the status LED shows connecting, idle and a client`, async (t) => {
    const board = await boardFor(t, {
      config: { ssid: 'lab', pwd: 'secret', wifi_timeout_ms: 200, wifi_backoff_ms: 30, status_led: true, watchdog_ms: 2000 },
      wifiFails: 2,
    });
    await board.waitForOutput(/WiFi "lab" joined after 3 attempt\(s\)/, 5000);
    const attempts = board.hw.filter((e) => e.op === 'wifi_connect');
    assert.equal(attempts.length, 3);
    assert.match(board.log, /attempt 1 failed \(network not found\); retrying in 30 ms/);
    assert.match(board.log, /attempt 2 failed \(network not found\); retrying in 60 ms/);
    assert.ok(board.hw.some((e) => e.op === 'wdt' && e.timeout === 2000), 'the watchdog runs');
    // Idle: 1.5 s on. A client: 20 ms on, 100 ms off.
    await board.waitForHw((hw) => hw.some((e) => e.pin === 'LED' && e.level === 1 && e.t > (attempts.at(-1)?.t ?? 0)), 3000, 'LED on');
    const client = await lineClient(t, board);
    await client.request({ action: 'ping' });
    const since = board.hw.length;
    await delay(700);
    const blinks = board.hw.slice(since).filter((e) => e.pin === 'LED' && e.op === 'write');
    const ons = blinks.filter((e) => e.level === 1);
    assert.ok(ons.length >= 3, `fast blinks while a client is connected: ${ons.length}`);
    const gaps = ons.slice(1).map((e, i) => e.t - (ons[i]?.t ?? 0));
    assert.ok(gaps.every((g) => g >= 100 && g < 400), `one blink per ~120 ms: ${gaps.join(', ')}`);
    // A client that sets up "LED" itself takes it over from the status pattern.
    await client.request({ action: 'setup_pin', pin: 'LED', mode: 'output', value: 0 });
    await delay(300);
    const mark = board.hw.length;
    await delay(400);
    assert.deepEqual(board.hw.slice(mark).filter((e) => e.pin === 'LED'), []);
  });
}
