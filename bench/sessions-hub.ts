/**
 * Child process for bench/sessions.ts: the hub's dial-home gateway alone (with its real
 * SQLite store), or the reference — a minimal server that only holds bare TCP connections
 * and counts the lines that come back. Driven over IPC (bench/sessions-probe.ts): it reports its port, then
 * answers `memory` (after a full GC) and `round` (one request to every connection, resolved when all are answered).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RateLimitedLog } from '@picolink/net';
import { DeviceDirectory, DevicePresence, EventRecorder, HubBus, openSqliteStore, parseConfig, startGateway } from '@picolink/hub';
import { pingRound, serve } from './sessions-probe.js';
import type { Served } from './sessions-probe.js';

const kind = process.argv[2];

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve((server.address() as AddressInfo).port)));
}

/** The reference: hold every connection; a round writes one line to each and counts the lines that come back. */
async function reference(): Promise<Served & { port: number }> {
  const sockets = new Set<Socket>();
  let answered = 0;
  let wake: (() => void) | undefined;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 0x0a) answered += 1;
      if (answered >= sockets.size) wake?.();
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    port,
    count: () => sockets.size,
    async round(timeoutMs) {
      answered = 0;
      const started = performance.now();
      const done = new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, timeoutMs);
      });
      for (const socket of sockets) socket.write('{"id":"r","action":"ping"}\n');
      await done;
      return { answered, ms: performance.now() - started };
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The hub's gateway, as startHub runs it: real store, bus, directory; any device id welcome. */
async function gateway(): Promise<Served & { port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'picolink-bench-sessions-'));
  const store = await openSqliteStore({ path: join(dir, 'picolink.db') });
  const bus = new HubBus();
  const directory = new DeviceDirectory();
  // A long heartbeat: the measured round is the only traffic.
  const config = parseConfig({ dataDir: dir, gateway: { acceptUnknownDevices: true, heartbeatMs: 600_000 } });
  const server = createServer();
  const port = await listen(server);
  const log = new RateLimitedLog((line) => console.error(`hub: ${line}`));
  const events = new EventRecorder(store, bus, log);
  const presence = new DevicePresence({ store, bus, directory, events, log });
  const running = startGateway({ listener: server, config, presence, events, log });
  return {
    port,
    count: () => directory.list().length,
    round: (timeoutMs) => pingRound(directory, timeoutMs),
    stop: async () => {
      await running.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const served = kind === 'reference' ? await reference() : await gateway();
serve(served, { port: served.port });
