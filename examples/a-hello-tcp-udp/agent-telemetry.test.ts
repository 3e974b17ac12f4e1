/**
 * Tutorial A with the picolink MicroPython agent as the device: the real agent files run
 * under CPython (the agent's test harness, as a simulated Pico W) and send UDP telemetry
 * every interval, asking for acks. The computer side is what a person runs: `picolink term
 * listen udp` to watch the datagrams (and type an ack), `picolink ping` to see the agent
 * still answers, and `picolink hub` as a receiver that acknowledges and stores them.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Board } from '@picolink/test-kit/board';
import { encodeTelemetryAck, parseTelemetry } from '@picolink/protocol';
import type { TelemetryDatagram } from '@picolink/protocol';
import { runPicolink, startPicolink } from '../support/picolink-cli.js';
import type { PicolinkProcess } from '../support/picolink-cli.js';

interface TestContext {
  after(fn: () => unknown): void;
}

interface Received {
  text: string;
  datagram: TelemetryDatagram;
}

/** Polls `condition` every 10 ms for at most `ms`. */
async function until<T>(condition: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The real agent on a simulated board, its Python output checked when the test ends. */
async function agentBoard(t: TestContext, telemetry: Record<string, unknown>): Promise<Board> {
  const board = await Board.start(t, 'cpython', { config: { telemetry } });
  t.after(() => board.assertNoTraceback());
  return board;
}

/** The datagrams `picolink term listen udp` printed so far: one line each, in arrival order. */
function printed(term: PicolinkProcess): Received[] {
  return term
    .stdout()
    .split('\n')
    .filter((line) => line !== '')
    .map((text) => ({ text, datagram: parseTelemetry(text).message }));
}

/** How often each sequence number was printed. */
function counts(received: readonly Received[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const { datagram } of received) out.set(datagram.seq, (out.get(datagram.seq) ?? 0) + 1);
  return out;
}

test('picolink term listen udp shows a datagram every interval; with no acks the agent resends only its last max_unacked, and an ack typed late stops one', async (t) => {
  const intervalMs = 100;
  const maxUnacked = 4;
  const term = startPicolink(['term', 'listen', 'udp', '0', '--host', '127.0.0.1']);
  t.after(() => term.stop());
  const [, port] = await term.waitFor(/listening on udp 127\.0\.0\.1:(\d+)/, 'stderr');
  // resend_ms below the interval: every unacknowledged datagram goes again at every send.
  const board = await agentBoard(t, { target: `127.0.0.1:${port}`, interval_ms: intervalMs, resend_ms: intervalMs / 2, sensors: ['temp_c'], ack: true, max_unacked: maxUnacked });
  await until(() => counts(printed(term)).has(10), 'seq 10 printed');

  // Nothing has ever answered, and the agent still answers on TCP.
  const ping = await runPicolink(['ping', board.url, '-n', '2', '--interval', '20']);
  assert.equal(ping.code, 0, ping.stderr);
  assert.match(ping.stdout, /2 replies/);

  const received = printed(term);
  const first = received[0]?.datagram ?? assert.fail('nothing printed');
  assert.equal(first.device, 'test-pico');
  assert.ok(received.every(({ datagram }) => datagram.boot === first.boot && datagram.ack === true), 'one boot, every datagram asks for an ack');
  assert.ok(Math.abs((first.readings.temp_c ?? 0) - 25) < 2, 'the internal temperature, about 25 °C');
  const firstText = new Map<number, string>();
  let newest = -1;
  for (const { text, datagram } of received) {
    const seq = datagram.seq;
    const before = firstText.get(seq);
    if (before === undefined) {
      assert.equal(seq, newest + 1, 'new readings are numbered 0, 1, 2, ... with no gap');
      newest = seq;
      firstText.set(seq, text);
    } else {
      assert.equal(text, before, `a resend of seq ${seq} is the same datagram`);
      assert.ok(seq > newest - maxUnacked, `seq ${seq} resent after seq ${newest}: only the last ${maxUnacked} are kept`);
    }
  }
  const sentTimes = [...firstText.values()].map((text) => (JSON.parse(text) as { t: number }).t);
  const pace = ((sentTimes.at(-1) ?? 0) - (sentTimes[0] ?? 0)) / (sentTimes.length - 1);
  assert.ok(pace < 2 * intervalMs, `a new reading every ${pace.toFixed(0)} ms on average, no wait for replies (interval ${intervalMs} ms)`);
  for (const [seq, count] of counts(received)) {
    if (seq + maxUnacked <= newest) assert.equal(count, 1 + maxUnacked, `seq ${seq}: sent once, resent ${maxUnacked} times, then dropped from the buffer`);
  }

  // Typed into the terminal (it goes to the last sender): an ack for the newest reading,
  // late for one long dropped from the buffer, and a line that is no ack at all.
  const acked = newest;
  const ack = (seq: number): string => encodeTelemetryAck({ v: 1, device: first.device, boot: first.boot, ack: seq });
  term.child.stdin.write(`${ack(acked)}\n${ack(0)}\nhello\n`);
  await until(() => counts(printed(term)).has(acked + maxUnacked + 2), `seq ${acked + maxUnacked + 2} printed`);
  const after = counts(printed(term));
  // A resend or two may have gone before the ack arrived; without it there would be all of them.
  assert.ok((after.get(acked) ?? 0) < 1 + maxUnacked, `seq ${acked} printed ${after.get(acked)} times: acknowledged, no longer resent`);
  assert.equal(after.get(acked + 1), 1 + maxUnacked, `seq ${acked + 1}, never acknowledged, went ${1 + maxUnacked} times`);
  await board.waitForOutput('picolink: telemetry acks ignored (1 so far)');
});

test('picolink hub as the receiver: readings the agent sent while the hub was down reach it when it is back', async (t) => {
  const intervalMs = 200;
  const key = '8d0f3f6c5e2b4a19c7d81e3a0b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e';
  const dir = mkdtempSync(join(tmpdir(), 'picolink-example-a-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const configFile = join(dir, 'hub.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      http: { host: '127.0.0.1' },
      gateway: { host: '127.0.0.1' },
      telemetry: { host: '127.0.0.1' },
      devices: [{ id: 'test-pico', telemetryKey: key }],
    }),
  );
  const startedHubs: PicolinkProcess[] = [];
  t.after(() => Promise.all(startedHubs.map((hub) => hub.stop())));
  const startHubProcess = async (telemetryPort: number): Promise<{ hub: PicolinkProcess; url: string; token: string; telemetryPort: number }> => {
    const hub = startPicolink(['hub', '--config', configFile, '--data-dir', join(dir, 'data'), '--http-port', '0', '--gateway-port', '0', '--telemetry-port', String(telemetryPort), '--json']);
    startedHubs.push(hub);
    const [line] = await hub.waitFor(/^\{.*\}$/m);
    return { hub, ...(JSON.parse(line) as { url: string; token: string; telemetryPort: number }) };
  };
  const api = async <T>(hub: { url: string; token: string }, path: string): Promise<T> => {
    const response = await fetch(hub.url + path, { headers: { authorization: `Bearer ${hub.token}` } });
    assert.equal(response.status, 200, `GET ${path}`);
    return (await response.json()) as T;
  };
  type Rows = { rows: Array<{ metric: string; time: number; value: number }> };
  const readings = async (hub: { url: string; token: string }): Promise<Rows['rows']> => (await api<Rows>(hub, '/api/devices/test-pico/telemetry?metric=temp_c&from=-10m')).rows;

  const first = await startHubProcess(0);
  const port = first.telemetryPort;
  // A buffer of 16 readings covers 3.2 s: longer than the hub is away below.
  await agentBoard(t, { target: `127.0.0.1:${port}`, interval_ms: intervalMs, sensors: ['temp_c'], key, ack: true, max_unacked: 16 });
  await until(async () => (await readings(first)).length >= 3, 'three readings stored');

  assert.equal(await first.hub.stop(), 0);
  const downAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const upAt = Date.now();
  const second = await startHubProcess(port);
  const rows = await until(async () => {
    const all = await readings(second);
    return all.some((row) => row.time > upAt + 2 * intervalMs) ? all : undefined;
  }, 'fresh readings after the hub is back');

  const whileDown = rows.filter((row) => row.time > downAt && row.time < upAt);
  assert.ok(whileDown.length >= 3, `${whileDown.length} readings taken while the hub was down were stored when it came back`);
  const times = rows.map((row) => row.time);
  const longestGap = Math.max(...times.slice(1).map((time, i) => time - (times[i] ?? time)));
  assert.ok(longestGap < 3 * intervalMs, `no hole in the readings (longest gap ${longestGap} ms; the hub was away 1000 ms)`);
  assert.ok(rows.every((row) => Math.abs(row.value - 25) < 2));
  const { device } = await api<{ device: { telemetry: { accepted: number; rejected: Record<string, number> } } }>(second, '/api/devices/test-pico');
  assert.deepEqual(device.telemetry.rejected, {}, 'every datagram signed with the key, resends not taken for replays');
  assert.ok(device.telemetry.accepted >= whileDown.length);
});
