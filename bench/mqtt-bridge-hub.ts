/**
 * Child process for bench/mqtt-bridge.ts: a whole hub (`startHub`) with its API open on
 * loopback (auth off), every port picked by the system, the SQLite store in a temp
 * directory, unknown devices accepted, and the MQTT bridge to the broker at `mqttUrl`
 * when one is given (none: the same hub without a bridge, the reference). Sends
 * `{ ports }` when ready; answers `{ cmd: "stats" }` with the telemetry figures of
 * bench/ingest-hub.ts (`HubChildStats`), `{ cmd: "stop" }` closes the hub and exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, parseConfig, startHub } from '@picolink/hub';
import type { TelemetryRow } from '@picolink/hub';
import type { HubChildStats } from './ingest-hub.js';

export interface BridgeHubOptions {
  /** The broker, e.g. "mqtt://127.0.0.1:1883"; none runs the hub without the bridge. */
  mqttUrl?: string;
}

export interface BridgeHubPorts {
  httpUrl: string;
  gatewayPort: number;
  telemetryPort: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as BridgeHubOptions;
const dataDir = mkdtempSync(join(tmpdir(), 'picolink-bench-mqtt-'));
const store = await openSqliteStore({ path: join(dataDir, 'hub.db') });
let lastWriteEnd = 0;
const insert = store.insertTelemetry.bind(store);
store.insertTelemetry = async (rows: readonly TelemetryRow[]) => {
  await insert(rows);
  lastWriteEnd = Date.now();
};
const config = parseConfig({
  dataDir,
  http: { host: '127.0.0.1', port: 0, auth: false },
  gateway: { host: '127.0.0.1', port: 0, acceptUnknownDevices: true },
  // The sender spreads its datagrams over ten devices as fast as it can: no per-device limit.
  telemetry: { host: '127.0.0.1', port: 0, maxPerDevicePerSecond: 10_000_000 },
  ...(options.mqttUrl ? { mqtt: { url: options.mqttUrl } } : {}),
});
const hub = await startHub({ config, store, log: (line) => process.stderr.write(`hub: ${line}\n`) });

function stats(): HubChildStats {
  const total = hub.telemetry.stats();
  const cpu = process.cpuUsage();
  return {
    received: total.received,
    accepted: total.accepted,
    lost: total.lost,
    rejected: total.rejected,
    rowsWritten: hub.telemetry.writer.written,
    rowsPending: hub.telemetry.writer.pending,
    lastWriteEnd,
    receiveBufferBytes: hub.telemetry.receiveBufferBytes,
    databaseBytes: 0,
    cpuMicros: cpu.user + cpu.system,
  };
}

process.on('message', function bridgeHubOnMessage(message: { cmd: string }) {
  if (message.cmd === 'stats') process.send?.({ stats: stats() });
  if (message.cmd === 'stop') {
    void (async () => {
      await hub.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    })();
  }
});
const ports: BridgeHubPorts = { httpUrl: hub.httpUrl, gatewayPort: hub.gatewayPort, telemetryPort: hub.telemetryPort };
process.send?.({ ports });
