/**
 * A hub for the fuzzer to attack, in its own process (docs/fuzzing.md): startHub on
 * 127.0.0.1 with every port 0 and its SQLite file in a temp directory, auth on, plus a
 * simulated device ("probe") that dials home, so the hub has a device online for hub://
 * links and commands. Reports its ports and token over IPC once the probe is online;
 * SIGTERM (or the parent going away) closes everything and removes the directory.
 *
 * Configured devices: `probe` (token and telemetry key below), `pico-1` (the id the
 * hello vectors use, with a token they do not know, so their hellos reach the token
 * check), and FUZZ_DEVICES ids `fuzz-N` with FUZZ_TOKEN, for sessions that hello first.
 * The gateway's frame-rate limit is raised so the fuzzer is not throttled; every other
 * limit is the default.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevice } from '@picolink/device';
import { parseConfig } from '../../src/config.js';
import { startHub } from '../../src/hub.js';

export const PROBE_DEVICE = 'probe';
export const PROBE_TOKEN = 'probe-token';
export const PROBE_TELEMETRY_KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
export const FUZZ_DEVICES = 8;
export const FUZZ_TOKEN = 'fuzz-token';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'picolink-fuzz-hub-'));
  const config = parseConfig({
    dataDir: dir,
    http: { host: '127.0.0.1', port: 0 },
    gateway: { host: '127.0.0.1', port: 0 },
    telemetry: { host: '127.0.0.1', port: 0 },
    devices: [
      { id: PROBE_DEVICE, token: PROBE_TOKEN, telemetryKey: PROBE_TELEMETRY_KEY },
      { id: 'pico-1', token: 'not-the-vectors-token' },
      ...Array.from({ length: FUZZ_DEVICES }, (_, i) => ({ id: `fuzz-${i}`, token: FUZZ_TOKEN })),
    ],
  });
  const hub = await startHub({
    config,
    // Crashes show on stderr (the fuzzer keeps its end); the hub's own log lines would bury them.
    log: (line) => {
      if (/internal error|PL_ERR_INTERNAL/i.test(line) || /\bError\b/.test(line)) process.stderr.write(`hub log: ${line.slice(0, 2000)}\n`);
    },
    gatewayLimits: { maxFramesPerSecond: 1_000_000 },
  });
  const device = await startDevice({ host: '127.0.0.1', port: 0, deviceId: PROBE_DEVICE, hub: { hub: { host: '127.0.0.1', port: hub.gatewayPort }, token: PROBE_TOKEN } });
  const deadline = Date.now() + 10_000;
  while (!hub.directory.get(PROBE_DEVICE)) {
    if (Date.now() > deadline) throw new Error('the probe device did not come online within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  let closing = false;
  const close = (): void => {
    if (closing) return;
    closing = true;
    void Promise.allSettled([device.close(), hub.close()]).then(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  };
  process.once('SIGTERM', close);
  process.once('disconnect', close);
  process.send?.({ dataDir: dir, httpPort: hub.httpPort, gatewayPort: hub.gatewayPort, telemetryPort: hub.telemetryPort, token: hub.token, devicePort: device.port });
}

// Only when run as the child process, not when imported for its constants.
if (process.send) await main();
