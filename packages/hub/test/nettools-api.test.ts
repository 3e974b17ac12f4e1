/**
 * The network tools API over real loopback sockets: the tutorials' peers (Freenove's
 * sketchWiFi both ways, the hello server over UDP, tcpcom's NUL-ended messages), TLS
 * pinning, limits, stop/close freeing ports, repeats, idle stop, saved messages, the
 * WebSocket, auth and the audit log.
 */
import { strict as assert } from 'node:assert';
import { createServer as createTcpServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateCertificate } from '@picolink/client';
import { startTextServer } from '@picolink/nettools';
import { JsonSocket, refusedUpgrade, until } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';
import { call, collect, connectLocal, entries, localServer, open, session, startNetHub, textOf, untilEntry, untilState } from './nettools-fixture.js';

function wsUrl(hub: TestHub, path: string): string {
  return `${hub.hub.httpUrl.replace(/^http/, 'ws')}${path}?token=${hub.hub.token ?? ''}`;
}

/** True when a TCP listener can be bound on 127.0.0.1:port (the port is free). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createTcpServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('network tools API', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startNetHub({ maxSessions: 6, maxRepeat: 50, minIntervalMs: 10, maxSendBytes: 1024, maxSavedMessages: 3 });
  });
  after(async () => {
    await hub.close();
  });

  it('tutorial E, hub as the server: a socket standing in for the Pico connects, its line is logged, a reply with LF reaches it', async () => {
    const server = await open(hub, { kind: 'tcp-server', localPort: 0, framing: 'lf', name: 'sketchWiFi server' });
    assert.equal(server.state, 'listening');
    assert.ok(server.localPort !== undefined && server.localPort >= 1024);
    const pico = await connectLocal(server.localPort);
    const received = collect(pico);
    const picoAddress = `127.0.0.1:${pico.localPort}`;
    pico.write('Hello from Pico W\r\n');
    const line = await untilEntry(hub, server.id, 'in', 'Hello from Pico W');
    assert.equal(line.peer, picoAddress);
    const peers = (await session(hub, server.id)).peers ?? [];
    assert.deepEqual(peers, [{ id: 'p1', address: picoAddress }]);

    const sent = await call(hub, 'POST', `/api/nettools/sessions/${server.id}/send`, { data: 'LED on', ending: 'lf' });
    assert.equal(sent.status, 200);
    assert.equal(sent.body.bytes, 7);
    await until(() => received.text() === 'LED on\n', 'reply at the socket');
    const toPeer = await call(hub, 'POST', `/api/nettools/sessions/${server.id}/send`, { data: 'only you', ending: 'crlf', peer: 'p1' });
    assert.equal(toPeer.status, 200);
    await until(() => received.text() === 'LED on\nonly you\r\n', 'reply to one peer');
    const out = (await entries(hub, server.id)).filter((e) => e.dir === 'out').map(textOf);
    assert.deepEqual(out, ['LED on\n', 'only you\r\n']);
    assert.ok((await entries(hub, server.id)).some((e) => e.dir === 'info' && textOf(e) === 'peer p1 connected from ' + picoAddress));

    pico.destroy();
    await until(async () => ((await session(hub, server.id)).peers ?? []).length === 0, 'peer gone');
    const none = await call(hub, 'POST', `/api/nettools/sessions/${server.id}/send`, { data: 'anyone?' });
    assert.equal(none.status, 409);
    assert.equal(none.body.code, 'PL_ERR_CONNECTION_CLOSED');

    const { audit } = await hub.json<{ audit: Array<{ action: string; deviceId: string; result: string; request: Record<string, unknown> }> }>(`/api/audit?device=nettools.${server.id}`);
    const actions = audit.map((a) => `${a.action}:${a.result}`).sort();
    assert.deepEqual(actions, ['net_open:ok', 'net_send:PL_ERR_CONNECTION_CLOSED', 'net_send:ok', 'net_send:ok']);
    assert.ok(audit.some((a) => a.request.preview === '"LED on\\n"'));
    assert.equal((await call(hub, 'DELETE', `/api/nettools/sessions/${server.id}`)).status, 204);
  });

  it('tutorial E, hub as the client: connects to a Node server, both directions, the peer closing stops it, start reconnects with the log kept', async () => {
    const pico = await localServer((socket) => socket.write('Hello from server\n'));
    const client = await open(hub, { kind: 'tcp-client', host: '127.0.0.1', port: pico.port });
    await untilState(hub, client.id, 'open');
    await untilEntry(hub, client.id, 'in', 'Hello from server');
    await until(() => pico.sockets.length === 1, 'server accepted');
    const atServer = collect(pico.sockets[0]!);
    assert.equal((await call(hub, 'POST', `/api/nettools/sessions/${client.id}/send`, { data: 'hi pico', ending: 'lf' })).status, 200);
    await until(() => atServer.text() === 'hi pico\n', 'line at the server');

    pico.sockets[0]!.end();
    await untilState(hub, client.id, 'stopped');
    await untilEntry(hub, client.id, 'info', 'closed by peer');
    const closed = await call(hub, 'POST', `/api/nettools/sessions/${client.id}/send`, { data: 'x' });
    assert.equal(closed.status, 409);
    assert.equal(closed.body.code, 'PL_ERR_CONNECTION_CLOSED');

    const restarted = await call(hub, 'POST', `/api/nettools/sessions/${client.id}/start`);
    assert.equal(restarted.status, 200);
    await untilState(hub, client.id, 'open');
    const log = await entries(hub, client.id);
    assert.equal(log.filter((e) => e.dir === 'in' && textOf(e) === 'Hello from server').length, 2, 'the first connection\'s line is still in the log');
    await call(hub, 'DELETE', `/api/nettools/sessions/${client.id}`);
    await pico.close();

    // Nothing listens any more: starting again answers the session, failed, with the reason.
    const refused = await open(hub, { kind: 'tcp-client', host: '127.0.0.1', port: pico.port });
    const failed = await untilState(hub, refused.id, 'failed');
    assert.equal(failed.error?.code, 'PL_ERR_CONNECT_FAILED');
    const retry = await call(hub, 'POST', `/api/nettools/sessions/${refused.id}/start`);
    assert.equal(retry.status, 200);
    assert.equal(retry.body.state, 'failed');
    await call(hub, 'DELETE', `/api/nettools/sessions/${refused.id}`);
  });

  it('tutorial A: a UDP session sends "test" as text and as hex to the hello server; "hello, test" is logged with its source', async () => {
    const hello = await startTextServer({ mode: 'hello', host: '127.0.0.1', udpPort: 0 });
    try {
      const udp = await open(hub, { kind: 'udp', host: '127.0.0.1', port: hello.udpPort });
      assert.equal(udp.state, 'open');
      assert.equal((await call(hub, 'POST', `/api/nettools/sessions/${udp.id}/send`, { data: 'test' })).status, 200);
      const hex = await call(hub, 'POST', `/api/nettools/sessions/${udp.id}/send`, { data: '74 65 73 74', encoding: 'hex', to: `127.0.0.1:${hello.udpPort}` });
      assert.equal(hex.status, 200);
      assert.equal(hex.body.bytes, 4);
      const replies = await until(async () => {
        const found = (await entries(hub, udp.id)).filter((e) => e.dir === 'in');
        return found.length >= 2 ? found : undefined;
      }, 'two replies');
      for (const reply of replies) {
        assert.match(textOf(reply), /^hello, test\n?$/);
        assert.equal(reply.peer, `127.0.0.1:${hello.udpPort}`);
      }
      const bad = await call(hub, 'POST', `/api/nettools/sessions/${udp.id}/send`, { data: '74 6', encoding: 'hex' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 'PL_ERR_BAD_TYPE');
      await call(hub, 'DELETE', `/api/nettools/sessions/${udp.id}`);
    } finally {
      await hello.close();
    }
  });

  it('NUL framing (tutorial C): "go\\0" arriving in two reads is one message', async () => {
    const peer = await localServer((socket) => {
      socket.write('g');
      setTimeout(() => socket.write('o\0'), 60);
    });
    const client = await open(hub, { kind: 'tcp-client', host: '127.0.0.1', port: peer.port, framing: 'nul' });
    await untilEntry(hub, client.id, 'in', 'go');
    await sleep(50);
    assert.deepEqual((await entries(hub, client.id)).filter((e) => e.dir === 'in').map(textOf), ['go']);
    await call(hub, 'DELETE', `/api/nettools/sessions/${client.id}`);
    await peer.close();
  });

  it('TLS client: a pinned fingerprint that matches opens and shows it; another fails with PL_ERR_TLS_FINGERPRINT_MISMATCH', async () => {
    const cert = generateCertificate({ commonName: 'pico', hosts: ['127.0.0.1'] });
    const server = createTlsServer({ cert: cert.certPem, key: cert.keyPem }, (socket) => socket.end('secure hello\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    try {
      const pinned = await open(hub, { kind: 'tls-client', host: '127.0.0.1', port, fingerprint: cert.fingerprint.replace(/:/g, '').toLowerCase() });
      await untilEntry(hub, pinned.id, 'in', 'secure hello');
      assert.equal((await session(hub, pinned.id)).fingerprint, cert.fingerprint);
      const notPin = await call(hub, 'POST', '/api/nettools/sessions', { kind: 'tls-client', host: '127.0.0.1', port, fingerprint: 'AB:CD' });
      assert.equal(notPin.status, 400);
      assert.equal(notPin.body.code, 'PL_ERR_BAD_TYPE');
      const other = generateCertificate({ commonName: 'other' });
      const wrong = await open(hub, { kind: 'tls-client', host: '127.0.0.1', port, fingerprint: other.fingerprint });
      const failed = await untilState(hub, wrong.id, 'failed');
      assert.equal(failed.error?.code, 'PL_ERR_TLS_FINGERPRINT_MISMATCH');
      await call(hub, 'DELETE', `/api/nettools/sessions/${pinned.id}`);
      await call(hub, 'DELETE', `/api/nettools/sessions/${wrong.id}`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('stop frees the port and start listens on it again; close frees it and forgets the session', async () => {
    const server = await open(hub, { kind: 'tcp-server', localPort: 0 });
    const port = server.localPort ?? 0;
    assert.equal(await portIsFree(port), false);
    const taken = await call(hub, 'POST', '/api/nettools/sessions', { kind: 'tcp-server', localPort: port });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.code, 'PL_ERR_LISTEN_FAILED');

    const stopped = await call(hub, 'POST', `/api/nettools/sessions/${server.id}/stop`);
    assert.equal(stopped.status, 200);
    assert.equal(stopped.body.state, 'stopped');
    assert.equal(await portIsFree(port), true, 'stop frees the port');
    const again = await call(hub, 'POST', `/api/nettools/sessions/${server.id}/start`);
    assert.equal(again.body.state, 'listening');
    assert.equal(again.body.localPort, port, 'listens on the same port again');
    assert.equal((await call(hub, 'DELETE', `/api/nettools/sessions/${server.id}`)).status, 204);
    assert.equal(await portIsFree(port), true, 'close frees the port');
    assert.equal((await call(hub, 'GET', `/api/nettools/sessions/${server.id}/log`)).status, 404);
    const { audit } = await hub.json<{ audit: Array<{ action: string; result: string }> }>(`/api/audit?device=nettools.${server.id}`);
    assert.deepEqual(audit.map((a) => `${a.action}:${a.result}`).sort(), ['net_close:ok', 'net_open:ok', 'net_start:ok', 'net_stop:ok']);
  });

  it('limits: ports below 1024, session count, repeat bounds, send size, unknown fields', async () => {
    const low = await call(hub, 'POST', '/api/nettools/sessions', { kind: 'tcp-server', localPort: 80 });
    assert.equal(low.status, 400);
    assert.equal(low.body.code, 'PL_ERR_OUT_OF_RANGE');
    assert.match(String(low.body.error), /below 1024 need root/);
    assert.equal((await call(hub, 'POST', '/api/nettools/sessions', { kind: 'udp', localPort: 1023 })).status, 400);
    assert.equal((await call(hub, 'POST', '/api/nettools/sessions', { kind: 'tcp-client', host: '127.0.0.1' })).body.code, 'PL_ERR_MISSING_FIELD');
    assert.equal((await call(hub, 'POST', '/api/nettools/sessions', { kind: 'udp', bogus: 1 })).body.code, 'PL_ERR_UNKNOWN_FIELD');

    const udp = await open(hub, { kind: 'udp', host: '127.0.0.1', port: 9 });
    const send = (body: Record<string, unknown>) => call(hub, 'POST', `/api/nettools/sessions/${udp.id}/send`, body);
    assert.equal((await send({ data: 'x', repeat: { count: 51, intervalMs: 100 } })).body.code, 'PL_ERR_OUT_OF_RANGE');
    assert.equal((await send({ data: 'x', repeat: { count: 2, intervalMs: 5 } })).body.code, 'PL_ERR_OUT_OF_RANGE');
    const big = await send({ data: 'y'.repeat(1025) });
    assert.equal(big.status, 413);
    assert.equal(big.body.code, 'PL_ERR_FRAME_TOO_LARGE');
    assert.equal((await send({ data: 'y'.repeat(1024) })).status, 200);

    const opened = [udp.id];
    for (let i = 0; i < 5; i++) opened.push((await open(hub, { kind: 'udp' })).id);
    const seventh = await call(hub, 'POST', '/api/nettools/sessions', { kind: 'udp' });
    assert.equal(seventh.status, 429);
    assert.equal(seventh.body.code, 'PL_ERR_RATE_LIMITED');
    for (const id of opened) await call(hub, 'DELETE', `/api/nettools/sessions/${id}`);
  });

  it('repeats run bounded in the hub, show as out entries, and are cancelled by DELETE or stop', async () => {
    const server = await open(hub, { kind: 'tcp-server', localPort: 0 });
    const pico = await connectLocal(server.localPort ?? 0);
    const received = collect(pico);
    await until(async () => ((await session(hub, server.id)).peers ?? []).length === 1, 'peer listed');
    const five = await call(hub, 'POST', `/api/nettools/sessions/${server.id}/send`, { data: 'tick', ending: 'lf', repeat: { count: 5, intervalMs: 20 } });
    assert.equal(five.status, 200);
    await until(() => received.text() === 'tick\n'.repeat(5), 'five ticks');
    await until(async () => (await session(hub, server.id)).repeats.length === 0, 'repeat done');
    await sleep(80);
    assert.equal(received.text(), 'tick\n'.repeat(5), 'no sixth send');
    assert.equal((await entries(hub, server.id)).filter((e) => e.dir === 'out').length, 5);

    const long = await call(hub, 'POST', `/api/nettools/sessions/${server.id}/send`, { data: 'tock', repeat: { count: 50, intervalMs: 30 } });
    const repeatId = (long.body.repeat as { id: string }).id;
    assert.equal((await session(hub, server.id)).repeats[0]?.id, repeatId);
    assert.equal((await call(hub, 'DELETE', `/api/nettools/sessions/${server.id}/repeat/${repeatId}`)).status, 204);
    const count = received.text().length;
    await sleep(100);
    assert.equal(received.text().length, count, 'cancelled: nothing more sent');
    assert.equal((await call(hub, 'DELETE', `/api/nettools/sessions/${server.id}/repeat/${repeatId}`)).status, 404);

    await call(hub, 'POST', `/api/nettools/sessions/${server.id}/send`, { data: 'tack', repeat: { count: 50, intervalMs: 30 } });
    await call(hub, 'POST', `/api/nettools/sessions/${server.id}/stop`);
    assert.deepEqual((await session(hub, server.id)).repeats, []);
    pico.destroy();
    await call(hub, 'DELETE', `/api/nettools/sessions/${server.id}`);
  });

  it('saved messages are kept in the store, bounded, and deleted', async () => {
    const saved = await call(hub, 'POST', '/api/nettools/messages', { name: 'LED on', data: 'led 1', encoding: 'text', ending: 'lf' });
    assert.equal(saved.status, 201);
    assert.equal((await call(hub, 'POST', '/api/nettools/messages', { name: 'bad', data: 'zz', encoding: 'hex' })).body.code, 'PL_ERR_BAD_TYPE');
    await call(hub, 'POST', '/api/nettools/messages', { name: 'two', data: '74', encoding: 'hex' });
    await call(hub, 'POST', '/api/nettools/messages', { name: 'three', data: 'c' });
    assert.equal((await call(hub, 'POST', '/api/nettools/messages', { name: 'four', data: 'd' })).status, 429);
    const { messages } = await hub.json<{ messages: Array<Record<string, unknown>> }>('/api/nettools/messages');
    assert.deepEqual(messages[0], { id: saved.body.id, name: 'LED on', data: 'led 1', encoding: 'text', ending: 'lf' });
    assert.deepEqual((await hub.hub.store.listSavedMessages()).map((m) => m.name), ['LED on', 'two', 'three']);
    for (const m of messages) assert.equal((await call(hub, 'DELETE', `/api/nettools/messages/${String(m.id)}`)).status, 204);
    assert.equal((await call(hub, 'DELETE', `/api/nettools/messages/${String(saved.body.id)}`)).status, 404);
  });

  it('the WebSocket sends hello, every session, its changes and entries, and closed', async () => {
    const existing = await open(hub, { kind: 'udp', name: 'kept' });
    const ws = await JsonSocket.open(wsUrl(hub, '/api/nettools/stream'));
    assert.equal(ws.messages[0]?.type, 'hello');
    await until(() => ws.find((m) => m.type === 'session' && (m.session as { id: string }).id === existing.id), 'existing session listed');
    const server = await open(hub, { kind: 'tcp-server', localPort: 0 });
    const pico = await connectLocal(server.localPort ?? 0);
    pico.write('over the socket\n');
    const entry = await until(() => ws.find((m) => m.type === 'entry' && m.session === server.id && (m.entry as { dir: string }).dir === 'in'), 'entry on the stream');
    assert.equal(Buffer.from((entry.entry as { data: string }).data, 'base64').toString(), 'over the socket');
    await until(() => ws.find((m) => m.type === 'session' && (m.session as { id: string; bytesIn: number }).id === server.id && (m.session as { bytesIn: number }).bytesIn === 16), 'counters announced');
    await call(hub, 'DELETE', `/api/nettools/sessions/${server.id}`);
    await until(() => ws.find((m) => m.type === 'closed' && m.id === server.id), 'closed on the stream');
    pico.destroy();
    ws.close();
    await call(hub, 'DELETE', `/api/nettools/sessions/${existing.id}`);
  });

  it('needs auth: routes answer 401 and the stream refuses the upgrade without a token', async () => {
    const plain = await hub.api('/api/nettools/sessions', { token: null });
    assert.equal(plain.status, 401);
    const post = await hub.api('/api/nettools/sessions', { token: null, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'udp' }) });
    assert.equal(post.status, 401);
    assert.deepEqual((await hub.json<{ sessions: unknown[] }>('/api/nettools/sessions')).sessions, []);
    const refused = await refusedUpgrade(`${hub.hub.httpUrl.replace(/^http/, 'ws')}/api/nettools/stream`);
    assert.equal(refused.status, 401);

    // The dashboard's way in: the session cookie, with X-CSRF-Token on state-changing requests.
    const signIn = await hub.api('/api/session', { method: 'POST', token: null, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: hub.hub.token }) });
    const { csrf } = (await signIn.json()) as { csrf: string };
    const cookie = (signIn.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
    const byCookie = (csrfHeader: Record<string, string>): Promise<Response> =>
      hub.api('/api/nettools/sessions', { token: null, method: 'POST', headers: { cookie, 'content-type': 'application/json', ...csrfHeader }, body: JSON.stringify({ kind: 'udp' }) });
    const noCsrf = await byCookie({});
    assert.equal(noCsrf.status, 403);
    assert.equal(((await noCsrf.json()) as { code: string }).code, 'PL_ERR_CSRF');
    const withCsrf = await byCookie({ 'x-csrf-token': csrf });
    assert.equal(withCsrf.status, 201);
    const opened = (await withCsrf.json()) as { id: string };
    const audit = await hub.json<{ audit: Array<{ actor: string; action: string }> }>(`/api/audit?device=nettools.${opened.id}`);
    assert.equal(audit.audit[0]?.action, 'net_open');
    await call(hub, 'DELETE', `/api/nettools/sessions/${opened.id}`);
    const addresses = await hub.json<{ hostname: string; addresses: Array<{ address: string; internal: boolean }> }>('/api/nettools/addresses');
    assert.ok(addresses.addresses.some((a) => a.address === '127.0.0.1' && a.internal));
  });
});

describe('network tools send rate and running repeats', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startNetHub({ maxSendsPerSecond: 5, maxRunningRepeats: 2, maxRepeat: 1000, minIntervalMs: 10 });
  });
  after(async () => {
    await hub.close();
  });

  it('sends past maxSendsPerSecond get 429 and the budget refills; a third running repeat is refused until one is cancelled', async () => {
    const udp = await open(hub, { kind: 'udp', host: '127.0.0.1', port: 9 });
    const send = (body: Record<string, unknown>) => call(hub, 'POST', `/api/nettools/sessions/${udp.id}/send`, body);
    // Sent back to back: the burst of five goes out, then a refusal comes before the bucket
    // (five a second) could have refilled the forty asked for.
    let accepted = 0;
    let limited: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 0; i < 40 && limited === undefined; i++) {
      const answer = await send({ data: 'x' });
      if (answer.status === 200) accepted += 1;
      else limited = answer;
    }
    assert.ok(limited !== undefined, 'a send past the budget is refused');
    assert.ok(accepted >= 5, `the burst of five goes out (${accepted})`);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, 'PL_ERR_RATE_LIMITED');
    assert.match(String(limited.body.error), /nettools\.maxSendsPerSecond/);
    await sleep(1100);
    assert.equal((await send({ data: 'x' })).status, 200, 'the budget refills');

    const first = await send({ data: 'a', repeat: { count: 1000, intervalMs: 1000 } });
    const second = await send({ data: 'b', repeat: { count: 1000, intervalMs: 1000 } });
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    const third = await send({ data: 'c', repeat: { count: 1000, intervalMs: 1000 } });
    assert.equal(third.status, 429);
    assert.match(String(third.body.error), /nettools\.maxRunningRepeats/);
    assert.equal((await session(hub, udp.id)).repeats.length, 2);
    const firstId = (first.body.repeat as { id: string }).id;
    assert.equal((await call(hub, 'DELETE', `/api/nettools/sessions/${udp.id}/repeat/${firstId}`)).status, 204);
    await sleep(250);
    assert.equal((await send({ data: 'c', repeat: { count: 1000, intervalMs: 1000 } })).status, 200, 'room again after a cancel');
    await call(hub, 'DELETE', `/api/nettools/sessions/${udp.id}`);
  });
});

describe('network tools idle timeout', () => {
  it('stops a session with no traffic and no request for idleTimeoutMs, and says so in its log', async () => {
    const hub = await startNetHub({ idleTimeoutMs: 300 });
    try {
      const server = await open(hub, { kind: 'tcp-server', localPort: 0 });
      const port = server.localPort ?? 0;
      // Polling the list does not touch a session: only requests naming it do.
      await until(async () => {
        const { sessions } = await hub.json<{ sessions: Array<{ state: string }> }>('/api/nettools/sessions');
        return sessions[0]?.state === 'stopped';
      }, 'idle stop', 3000);
      assert.equal(await portIsFree(port), true);
      await untilEntry(hub, server.id, 'info', /^idle for \d+ s: stopped$/);
    } finally {
      await hub.close();
    }
  });
});

describe('network tools and the hub closing', () => {
  it('closing the hub closes every session: ports free, peers disconnected', async () => {
    const hub = await startNetHub();
    const server = await open(hub, { kind: 'tcp-server', localPort: 0 });
    const udp = await open(hub, { kind: 'udp' });
    const pico = await connectLocal(server.localPort ?? 0);
    const ended = new Promise<void>((resolve) => pico.on('close', () => resolve()));
    pico.on('error', () => {});
    await until(async () => ((await session(hub, server.id)).peers ?? []).length === 1, 'peer listed');
    await hub.close();
    await ended;
    assert.equal(await portIsFree(server.localPort ?? 0), true);
    const { createSocket } = await import('node:dgram');
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(udp.localPort, '127.0.0.1', () => resolve());
    });
    socket.close();
  });
});
