/**
 * Tutorial C: the button server answering `go` (to the SDK's TcpClient and to picolink
 * term), and the swapped roles where the device reports to a computer server.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SimulatedBackend } from '@picolink/device';
import { runPicolink, startPicolink } from '../support/picolink-cli.js';
import { BUTTON_PIN } from './button.js';
import { startButtonServer } from './button-server.js';
import { runButtonReporter } from './button-reporter.js';
import { pollButton } from './pc-client.js';
import { startReportServer } from './pc-server.js';

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('the PC client sends go every interval and sees the button pressed and released', async (t) => {
  const backend = new SimulatedBackend();
  const server = await startButtonServer({ port: 0, host: '127.0.0.1', backend, log: () => {} });
  t.after(() => server.close());
  const states: string[] = [];
  const stop = new AbortController();
  const polling = pollButton({ host: '127.0.0.1', port: server.port, intervalMs: 20, onState: (s) => states.push(s), client: { occupiedCheckMs: 20 }, log: () => {}, signal: stop.signal });
  await until(() => states.length >= 2, 'two answers');
  backend.setInputLevel(BUTTON_PIN, 0);
  await until(() => states.at(-1) === 'Button pressed', 'the press');
  backend.setInputLevel(BUTTON_PIN, null);
  await until(() => states.at(-1) === 'Button released', 'the release');
  stop.abort();
  assert.equal(await polling, true);
  assert.equal(states[0], 'Button released');
  assert.ok(states.every((s) => s === 'Button pressed' || s === 'Button released'));
});

test('picolink term asks the button server by hand: NUL-terminated go, one answer per line', async (t) => {
  const backend = new SimulatedBackend();
  const server = await startButtonServer({ port: 0, host: '127.0.0.1', backend, log: () => {} });
  t.after(() => server.close());
  backend.setInputLevel(BUTTON_PIN, 0);
  const result = await runPicolink(['term', 'tcp', '127.0.0.1', String(server.port), '--eol', 'nul', '--send', 'go', '--send', 'go', '--wait', '300']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'Button pressed\nButton pressed\n');
});

test('swapped roles: the device reports every interval to picolink term listen on the computer', async (t) => {
  const term = startPicolink(['term', 'listen', 'tcp', '0', '--host', '127.0.0.1']);
  t.after(() => term.stop());
  const [, port] = await term.waitFor(/listening on tcp 127\.0\.0\.1:(\d+)/, 'stderr');
  const backend = new SimulatedBackend();
  const stop = new AbortController();
  const reporting = runButtonReporter({ host: '127.0.0.1', port: Number(port), intervalMs: 30, occupiedCheckMs: 20, backend, log: () => {}, signal: stop.signal });
  await term.waitFor(/^Button released$/m);
  backend.setInputLevel(BUTTON_PIN, 0);
  await term.waitFor(/^Button pressed$/m);
  stop.abort();
  assert.ok((await reporting) >= 2);
  await term.waitFor(/disconnected/, 'stderr');
});

test('swapped roles: the device keeps trying until the computer server is up, then reports', async (t) => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  const stop = new AbortController();
  t.after(() => stop.abort());
  const lines: string[] = [];
  const reporting = runButtonReporter({ host: '127.0.0.1', port, intervalMs: 30, occupiedCheckMs: 20, log: (line) => lines.push(line), signal: stop.signal });
  await until(() => lines.filter((l) => l.startsWith('Client:-- CONNECTION_FAILED')).length >= 2, 'failed attempts while no server runs');

  const reports: string[] = [];
  const server = await startReportServer({ port, host: '127.0.0.1', onReport: (report) => reports.push(report), log: () => {} });
  t.after(() => server.close());
  await until(() => reports.length >= 2, 'reports once the server is up');
  stop.abort();
  await reporting;
  assert.ok(reports.every((r) => r === 'Button released'));
});
