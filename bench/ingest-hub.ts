/**
 * Child process for bench/ingest.ts: the hub's real telemetry path — a UDP socket on
 * 127.0.0.1:0, startTelemetryIngest and the SQLite store in a temp directory (or the
 * PostgreSQL store at `postgresUrl`, for bench/pg-ingest.ts). Answers
 * `stats` over IPC and reports when the store last finished a write (wall clock, ms);
 * answers `{ cmd: "times", deviceId }` with the times of that device's stored rows.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubBus, openPostgresStore, openSqliteStore, parseConfig, startTelemetryIngest } from '@picolink/hub';
import type { TelemetryRow } from '@picolink/hub';

export interface HubChildOptions {
  /** Telemetry keys per device id, or none for unsigned telemetry. */
  keys: Record<string, string>;
  receiveBufferBytes: number;
  /** telemetry.maxPerDevicePerSecond. Default: no practical limit (10,000,000). */
  maxPerDevicePerSecond?: number;
  /** Only count datagrams, ingest detached: what receiving alone costs in Node. Default false. */
  bare?: boolean;
  /** Keep the hub's log lines (rejection reports) off stderr. Default false. */
  quiet?: boolean;
  /** Store telemetry in PostgreSQL at this URL (in `postgresSchema`) instead of SQLite. Default: SQLite. */
  postgresUrl?: string;
  postgresSchema?: string;
}

export interface HubChildStats {
  received: number;
  accepted: number;
  lost: number;
  rejected: Record<string, number>;
  rowsWritten: number;
  rowsPending: number;
  /** Date.now() when the store last finished writing a batch. */
  lastWriteEnd: number;
  receiveBufferBytes: number;
  /** Size of the SQLite file and its WAL; 0 for PostgreSQL. */
  databaseBytes: number;
  /** Hub process CPU time (user + system) since start, in µs. */
  cpuMicros: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as HubChildOptions;
const dir = mkdtempSync(join(tmpdir(), 'picolink-bench-ingest-'));
const path = join(dir, 'hub.db');
const store = options.postgresUrl ? await openPostgresStore({ url: options.postgresUrl, ...(options.postgresSchema ? { schema: options.postgresSchema } : {}) }) : await openSqliteStore({ path });
let lastWriteEnd = 0;
const insert = store.insertTelemetry.bind(store);
store.insertTelemetry = async (rows: readonly TelemetryRow[]) => {
  await insert(rows);
  lastWriteEnd = Date.now();
};
const socket = createSocket('udp4');
await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
const config = parseConfig({
  telemetry: { maxPerDevicePerSecond: options.maxPerDevicePerSecond ?? 10_000_000 },
  devices: Object.entries(options.keys).map(([id, telemetryKey]) => ({ id, telemetryKey })),
  gateway: { acceptUnknownDevices: true },
});
const ingest = startTelemetryIngest({
  socket,
  store,
  bus: new HubBus(),
  config,
  receiveBufferBytes: options.receiveBufferBytes,
  log: (line) => {
    if (!options.quiet) console.error(`hub: ${line}`);
  },
});
let bareReceived = 0;
if (options.bare) {
  socket.removeAllListeners('message');
  socket.on('message', () => (bareReceived += 1));
}

function stats(): HubChildStats {
  const total = ingest.stats();
  const writer = ingest.writer;
  const cpu = process.cpuUsage();
  return {
    received: options.bare ? bareReceived : total.received,
    accepted: total.accepted,
    lost: total.lost,
    rejected: total.rejected,
    rowsWritten: writer.written,
    rowsPending: writer.pending,
    lastWriteEnd,
    receiveBufferBytes: ingest.receiveBufferBytes,
    cpuMicros: cpu.user + cpu.system,
    databaseBytes: options.postgresUrl ? 0 : statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0),
  };
}

process.on('message', function hubOnMessage(message: { cmd: string; deviceId?: string }) {
  if (message.cmd === 'stats') process.send?.({ stats: stats() });
  if (message.cmd === 'times') {
    void (async () => {
      await ingest.flush();
      const rows = await store.queryTelemetry({ deviceId: message.deviceId ?? '', from: 0, to: Number.MAX_SAFE_INTEGER, limit: 1_000_000 });
      process.send?.({ times: rows.map((row) => row.time) });
    })();
  }
  if (message.cmd === 'stop') {
    void (async () => {
      await ingest.close();
      socket.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    })();
  }
});
process.send?.({ port: socket.address().port });
