/**
 * `GET /api/health` carries the telemetry store writer's counters (docs/hub.md#get-health):
 * what a monitor sees of a hub whose PostgreSQL goes away and comes back — readings written,
 * buffered in memory while the database is down, the oldest dropped past
 * telemetry.maxBufferedRows, the retries, and since when the store has been unreachable.
 * A real server (a throwaway cluster, shut down and started again), real UDP datagrams,
 * the health route read over HTTP without a token.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startPostgres } from '@picolink/test-kit/postgres';
import type { HealthTelemetry } from '../src/api-types.js';
import { parseConfig } from '../src/config.js';
import { startHub } from '../src/hub.js';
import { datagram, UdpPeer } from './telemetry-fixture.js';

const cluster = await startPostgres();
after(() => cluster.stop());

interface Health {
  ok: boolean;
  telemetry: HealthTelemetry;
}

/** Polls the health route every 50 ms until `done` holds; returns that answer. */
async function healthWhen(httpUrl: string, done: (health: Health) => boolean, what: string, ms: number): Promise<Health> {
  const deadline = Date.now() + ms;
  for (;;) {
    const response = await fetch(`${httpUrl}/api/health`);
    assert.equal(response.status, 200);
    const health = (await response.json()) as Health;
    if (done(health)) return health;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${ms} ms; last answer ${JSON.stringify(health)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('GET /api/health counts telemetry written, buffered and dropped while PostgreSQL is away, and the retries', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'picolink-health-'));
  const config = parseConfig({
    dataDir,
    store: { postgres: cluster.url },
    http: { host: '127.0.0.1', port: 0 },
    gateway: { host: '127.0.0.1', port: 0 },
    telemetry: { host: '127.0.0.1', port: 0, maxBufferedRows: 4 },
  });
  const hub = await startHub({ config, log: () => {}, storeRetryBackoff: { baseMs: 100, maxMs: 300 } });
  t.after(async () => {
    await cluster.restart();
    await hub.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const peer = await UdpPeer.open(hub.telemetryPort);
  t.after(() => peer.close());

  const idle = await healthWhen(hub.httpUrl, () => true, 'an answer', 1000);
  assert.deepEqual(idle.telemetry, { written: 0, buffered: 0, dropped: 0, droppedOldest: 0, failed: 0, retries: 0, storeUnreachableSince: null });

  for (let seq = 0; seq < 3; seq++) await peer.send(datagram('pico-udp', seq));
  await healthWhen(hub.httpUrl, (h) => h.telemetry.written === 3, 'three readings written', 5000);

  const down = Date.now();
  await cluster.shutdown();
  // Ten readings (one each) during the outage: the newest four are kept, the rest dropped.
  for (let seq = 3; seq < 13; seq++) {
    await peer.send(datagram('pico-udp', seq));
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  const away = await healthWhen(
    hub.httpUrl,
    (h) => h.telemetry.buffered === 4 && h.telemetry.droppedOldest === 6 && h.telemetry.retries >= 2,
    'four readings buffered, six dropped, retried',
    10_000,
  );
  assert.equal(away.ok, true, 'the hub is up while its database is away');
  assert.equal(away.telemetry.written, 3);
  assert.equal(away.telemetry.failed, 0);
  assert.ok(away.telemetry.storeUnreachableSince !== null && away.telemetry.storeUnreachableSince >= down, JSON.stringify(away.telemetry));

  await cluster.restart();
  const back = await healthWhen(hub.httpUrl, (h) => h.telemetry.storeUnreachableSince === null && h.telemetry.buffered === 0, 'the buffered readings written', 15_000);
  assert.equal(back.telemetry.written, 7, 'the three before and the four kept');
  assert.equal(back.telemetry.droppedOldest, 6);
  assert.equal(back.telemetry.dropped, 0);
  assert.equal(back.telemetry.failed, 0);
  assert.ok(back.telemetry.retries >= away.telemetry.retries, 'retries only grow');
  const stored = await hub.store.queryTelemetry({ deviceId: 'pico-udp', from: 0, to: Number.MAX_SAFE_INTEGER, limit: 100 });
  assert.deepEqual(stored.map((row) => row.value).sort((a, b) => a - b), [20, 21, 22, 29, 30, 31, 32], 'the health counts match what is stored');
});
