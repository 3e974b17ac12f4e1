/**
 * Connection behaviour against a scripted picolink peer: pipelining, timeouts, closed
 * connections, heartbeat, events, the peer's own requests, and oversize frames.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { connect } from '../src/index.js';
import type { ConnectOptions, Device, PinChange } from '../src/index.js';
import { ScriptedPeer } from './fixtures/scripted-peer.js';
import type { PeerConnection, ScriptedPeerOptions } from './fixtures/scripted-peer.js';

const FAST: ConnectOptions = { timeoutMs: 1000, heartbeatMs: 0, connectTimeoutMs: 1000 };

async function withPeer(
  peerOptions: ScriptedPeerOptions,
  clientOptions: ConnectOptions,
  run: (device: Device, connection: PeerConnection, peer: ScriptedPeer) => Promise<void>,
): Promise<void> {
  const peer = await ScriptedPeer.start(peerOptions);
  const device = await connect(peer.url, { ...FAST, ...clientOptions });
  try {
    await run(device, await peer.nextConnection(0), peer);
  } finally {
    await device.close();
    await peer.close();
  }
}

function hasCode(code: string, message?: RegExp): (err: unknown) => boolean {
  return (err: unknown) => err instanceof PicolinkError && err.code === code && (message === undefined || message.test(err.message));
}

function nextEvent<T>(device: Device, name: 'close' | 'error'): Promise<T> {
  return new Promise((resolve) => device.once(name, (value: unknown) => resolve(value as T)));
}

test('the handshake is {"id":1,"action":"get_version"} and a picolink peer is detected', async () => {
  await withPeer({ capabilities: ['pipeline', 'events', 'pwm'] }, {}, async (device, connection) => {
    assert.equal(connection.chunks[0]?.toString(), '{"id":1,"action":"get_version"}\n');
    assert.equal(device.protocol, 1);
    assert.equal(device.version, 'scripted-1.0');
    assert.deepEqual(device.capabilities, ['pipeline', 'events', 'pwm']);
  });
});

test('1000 requests in flight at once, answered in reverse order, each gets its own answer', async () => {
  const held: Array<Record<string, unknown>> = [];
  const peerOptions: ScriptedPeerOptions = {
    onRequest(request, connection) {
      if (request.action !== 'ping') return undefined;
      held.push(request);
      // Answer only once all 1000 are in: proof that they were in flight together.
      if (held.length === 1000) for (const r of [...held].reverse()) connection.answer(r, { n: r.n });
      return 'drop';
    },
  };
  await withPeer(peerOptions, { timeoutMs: 5000 }, async (device) => {
    const answers = await Promise.all(Array.from({ length: 1000 }, (_, n) => device.send({ action: 'ping', n })));
    answers.forEach((answer, n) => {
      assert.equal(answer.n, n);
      assert.equal(answer.ok, true);
    });
    assert.equal(new Set(held.map((r) => r.id)).size, 1000);
  });
});

test('a peer without "pipeline" gets one request at a time, with ids', async () => {
  let inFlight = 0;
  let most = 0;
  const peerOptions: ScriptedPeerOptions = {
    capabilities: ['events'],
    onRequest(request, connection) {
      if (request.action !== 'ping') return undefined;
      inFlight += 1;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        connection.answer(request);
      }, 2);
      return 'drop';
    },
  };
  await withPeer(peerOptions, {}, async (device, connection) => {
    await Promise.all(Array.from({ length: 10 }, () => device.request('ping')));
    assert.equal(most, 1);
    assert.ok(connection.frames.every((f) => typeof f.id === 'number'));
  });
});

test('a request without an answer times out with PL_ERR_TIMEOUT; later requests still work', async () => {
  const peerOptions: ScriptedPeerOptions = { onRequest: (request) => (request.action === 'get_info' ? 'drop' : undefined) };
  await withPeer(peerOptions, { timeoutMs: 100 }, async (device) => {
    const started = Date.now();
    const slow = device.request('get_info');
    const fast = device.request('ping');
    await assert.rejects(slow, hasCode(ErrorCode.TIMEOUT, /no answer from 127\.0\.0\.1:\d+ to "get_info" within 100 ms/));
    assert.ok(Date.now() - started < 1000);
    assert.equal((await fast).action, 'ping');
    assert.equal((await device.request('ping')).ok, true);
    await assert.rejects(device.request('get_info', {}, { timeoutMs: 30 }), hasCode(ErrorCode.TIMEOUT, /within 30 ms/));
  });
});

test('a late answer to a timed-out request is ignored quietly', async () => {
  const peerOptions: ScriptedPeerOptions = { onRequest: (request) => (request.action === 'get_info' ? { delayMs: 150 } : undefined) };
  await withPeer(peerOptions, { timeoutMs: 50 }, async (device) => {
    const errors: PicolinkError[] = [];
    device.on('error', (err) => errors.push(err));
    await assert.rejects(device.request('get_info'), hasCode(ErrorCode.TIMEOUT));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await device.request('ping')).ok, true);
    assert.deepEqual(errors, []);
  });
});

test('a connection dropped mid-request rejects pending requests with PL_ERR_CONNECTION_CLOSED', async () => {
  const peerOptions: ScriptedPeerOptions = {
    onRequest(request, connection) {
      if (request.action === 'read_pin') setTimeout(() => connection.socket.destroy(), 10);
      return request.action === 'get_version' ? undefined : 'drop';
    },
  };
  await withPeer(peerOptions, {}, async (device) => {
    const closed = nextEvent<PicolinkError | null>(device, 'close');
    const closedError = hasCode(ErrorCode.CONNECTION_CLOSED, /not answered: 127\.0\.0\.1:\d+ closed the connection/);
    await Promise.all([assert.rejects(device.request('read_pin', { pin: 2 }), closedError), assert.rejects(device.request('ping'), closedError)]);
    const reason = await closed;
    assert.equal(reason?.code, ErrorCode.CONNECTION_CLOSED);
    assert.equal(device.closed, true);
    await assert.rejects(device.request('ping'), hasCode(ErrorCode.CONNECTION_CLOSED, /is closed; connect again/));
  });
});

test('close() rejects pending requests, ends the socket and resolves once closed', async () => {
  const peerOptions: ScriptedPeerOptions = { onRequest: (request) => (request.action === 'get_version' ? undefined : 'drop') };
  await withPeer(peerOptions, { heartbeatMs: 50 }, async (device, connection) => {
    const pending = assert.rejects(device.request('get_info'), hasCode(ErrorCode.CONNECTION_CLOSED, /closed before "get_info" was answered/));
    const closeEvent = nextEvent<PicolinkError | null>(device, 'close');
    await device.close();
    await pending;
    assert.equal(await closeEvent, null);
    await connection.closed;
    await device.close();
  });
});

test('the heartbeat detects a half-open peer and closes the connection', async () => {
  const peerOptions: ScriptedPeerOptions = { onRequest: (request) => (request.action === 'get_version' ? undefined : 'drop') };
  await withPeer(peerOptions, { heartbeatMs: 60, timeoutMs: 80 }, async (device, connection) => {
    const pending = assert.rejects(device.request('get_info', {}, { timeoutMs: 5000 }), hasCode(ErrorCode.CONNECTION_CLOSED, /heartbeat/));
    const reason = await nextEvent<PicolinkError | null>(device, 'close');
    assert.equal(reason?.code, ErrorCode.CONNECTION_CLOSED);
    assert.match(reason?.message ?? '', /did not answer a heartbeat ping within 80 ms/);
    await pending;
    assert.ok(connection.frames.some((f) => f.action === 'ping'));
  });
});

test('the heartbeat keeps a quiet but healthy connection open', async () => {
  await withPeer({}, { heartbeatMs: 50, timeoutMs: 1000 }, async (device, connection) => {
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(device.closed, false);
    assert.ok(connection.frames.filter((f) => f.action === 'ping').length >= 2);
  });
});

test('pushed events reach the "event" listeners and pin.watch callbacks with their edges', async () => {
  await withPeer({}, {}, async (device, connection) => {
    const all: unknown[] = [];
    device.on('event', (event) => all.push(event));
    const raw: unknown[] = [];
    device.on('rawEvent', (frame) => raw.push(frame));
    const both: PinChange[] = [];
    const rising: PinChange[] = [];
    const unwatchBoth = await device.pin(2).watch((event) => both.push(event), { debounceMs: 5 });
    const unwatchRising = await device.pin(2).watch((event) => rising.push(event), { edge: 'rising' });
    const watches = connection.frames.filter((f) => f.action === 'watch_pin');
    assert.deepEqual(watches.map((f) => [f.pin, f.edge, f.debounce_ms]), [[2, 'both', 5], [2, 'both', 20]]);

    const change = (value: 0 | 1, pin: number | string = 2): Record<string, unknown> => ({ event: 'pin_change', pin, value, cause: 'input', t: 5, time: 1 });
    connection.send(change(1));
    connection.send(change(0));
    connection.send(change(1, 3));
    connection.send({ event: 'telemetry_note', text: 'hello' });
    await device.request('ping'); // its answer comes after the events, so they have been handled
    assert.deepEqual(both.map((e) => e.value), [1, 0]);
    assert.deepEqual(rising.map((e) => e.value), [1]);
    assert.equal(all.length, 4);
    assert.deepEqual(all[0], { event: 'pinChange', pin: 2, value: 1, cause: 'input', t: 5, time: 1 });
    assert.deepEqual(both[0], all[0], 'watch callbacks get the same camelCase event');
    assert.deepEqual(all[3], { event: 'telemetryNote', text: 'hello' });
    assert.deepEqual(raw[0], change(1), "'rawEvent' has the frame as the wire carried it");

    await unwatchBoth();
    // Only the rising watcher is left: the device is asked for rising edges only.
    const rewatch = await connection.waitFor((f) => f.action === 'watch_pin' && f.edge === 'rising');
    assert.equal(rewatch.debounce_ms, 20);
    await unwatchRising();
    await connection.waitFor((f) => f.action === 'unwatch_pin' && f.pin === 2);
    connection.send(change(1));
    await device.request('ping');
    assert.equal(both.length + rising.length, 3);
    await unwatchRising();
  });
});

test('a closing event is surfaced with its code', async () => {
  await withPeer({ onRequest: (request) => (request.action === 'get_info' ? 'drop' : undefined) }, {}, async (device, connection) => {
    const events: unknown[] = [];
    device.on('event', (event) => events.push(event));
    const pending = assert.rejects(device.request('get_info'), (err: unknown) => {
      return err instanceof PicolinkError && err.code === ErrorCode.CONNECTION_CLOSED && (err.cause as PicolinkError).code === ErrorCode.IDLE_TIMEOUT;
    });
    const closed = nextEvent<PicolinkError | null>(device, 'close');
    connection.send({ event: 'closing', code: 'PL_ERR_IDLE_TIMEOUT', error: 'no frame for 60 s' });
    connection.socket.end();
    const reason = await closed;
    assert.equal(reason?.code, ErrorCode.IDLE_TIMEOUT);
    assert.match(reason?.message ?? '', /closed the connection: no frame for 60 s \(PL_ERR_IDLE_TIMEOUT\)/);
    await pending;
    assert.deepEqual(events, [{ event: 'closing', code: 'PL_ERR_IDLE_TIMEOUT', error: 'no frame for 60 s' }]);
  });
});

test('a device refusing the connection at once makes connect() reject with its code', async () => {
  const peer = await ScriptedPeer.start({
    onRequest(_request, connection) {
      connection.send({ event: 'closing', code: 'PL_ERR_TOO_MANY_CLIENTS', error: 'already 8 clients' });
      connection.socket.end();
      return 'drop';
    },
  });
  try {
    await assert.rejects(connect(peer.url, FAST), hasCode(ErrorCode.TOO_MANY_CLIENTS, /already 8 clients/));
  } finally {
    await peer.close();
  }
});

test('the client answers a ping request from the device, and refuses other actions', async () => {
  await withPeer({}, {}, async (_device, connection) => {
    connection.send({ id: 'p1', action: 'ping' });
    connection.send({ id: 'p2', action: 'reset' });
    const pong = await connection.waitFor((f) => f.id === 'p1');
    assert.equal(pong.ok, true);
    assert.equal(pong.action, 'ping');
    assert.equal(typeof pong.time_received, 'number');
    const refused = await connection.waitFor((f) => f.id === 'p2');
    assert.equal(refused.ok, false);
    assert.equal(refused.code, ErrorCode.UNKNOWN_ACTION);
  });
});

test('an oversize frame from the device closes the connection with PL_ERR_FRAME_TOO_LARGE', async () => {
  await withPeer({ onRequest: (request) => (request.action === 'get_info' ? 'drop' : undefined) }, { maxFrameBytes: 1024 }, async (device, connection) => {
    const errors: PicolinkError[] = [];
    device.on('error', (err) => errors.push(err));
    const closed = nextEvent<PicolinkError | null>(device, 'close');
    const pending = assert.rejects(device.request('get_info'), hasCode(ErrorCode.CONNECTION_CLOSED, /larger than 1024 bytes/));
    connection.sendRaw(`{"id":2,"ok":true,"info":"${'x'.repeat(2000)}"}\n`);
    const reason = await closed;
    assert.equal(reason?.code, ErrorCode.FRAME_TOO_LARGE);
    assert.match(reason?.message ?? '', /larger than 1024 bytes.*raise maxFrameBytes/);
    assert.deepEqual(errors.map((e) => e.code), [ErrorCode.FRAME_TOO_LARGE]);
    await pending;
  });
});

test('an oversize request is refused before it is sent', async () => {
  await withPeer({ capabilities: ['pipeline', 'update'] }, { maxFrameBytes: 1024 }, async (device, connection) => {
    await assert.rejects(device.update({ 'main.py': 'x'.repeat(2000) }), hasCode(ErrorCode.FRAME_TOO_LARGE, /more than the 1024-byte frame limit/));
    assert.equal((await device.request('ping')).ok, true);
    assert.ok(!connection.frames.some((f) => f.action === 'update'));
  });
});

test('unreadable frames from the device are reported as errors and the connection goes on', async () => {
  await withPeer({}, {}, async (device, connection) => {
    const errors: PicolinkError[] = [];
    device.on('error', (err) => errors.push(err));
    connection.sendRaw('not json\n[1,2]\n{"id":999,"ok":true}\n{"hello":1}\n');
    connection.sendRaw(Buffer.from([0xff, 0xfe, 0x0a]));
    assert.equal((await device.request('ping')).ok, true);
    assert.deepEqual(
      errors.map((e) => e.code),
      [ErrorCode.BAD_JSON, ErrorCode.NOT_OBJECT, ErrorCode.BAD_RESPONSE, ErrorCode.BAD_RESPONSE, ErrorCode.BAD_UTF8],
    );
    assert.match(errors[2]?.message ?? '', /answered a request that was never sent/);
  });
});

test('error responses reject with the device\'s code; send() resolves with them', async () => {
  const peerOptions: ScriptedPeerOptions = {
    onRequest(request) {
      if (request.action !== 'read_pin') return undefined;
      return { error: new PicolinkError(ErrorCode.PIN_NOT_SETUP, 'pin 7 is not set up; send setup_pin first') };
    },
  };
  await withPeer(peerOptions, {}, async (device) => {
    await assert.rejects(device.pin(7).read(), (err: unknown) => {
      return err instanceof PicolinkError && err.code === ErrorCode.PIN_NOT_SETUP && err.message === 'pin 7 is not set up; send setup_pin first';
    });
    const raw = await device.send({ action: 'read_pin', pin: 7 });
    assert.equal(raw.ok, false);
    assert.equal(raw.code, ErrorCode.PIN_NOT_SETUP);
  });
});
