/**
 * Acks and the rate budget of the UDP telemetry ingest (docs/protocol.md#acknowledgements-and-resending,
 * #duplicates-and-replays), over real sockets on 127.0.0.1 into a real SQLite file.
 */
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import { encodeTelemetry, ErrorCode } from '@picolink/protocol';
import { openSqliteStore } from '../src/store/sqlite.js';
import { datagram, KEY, sign, startIngestFixture, until } from './telemetry-fixture.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('telemetry acks', () => {
  it('acks a reading, and a resend of it, only once the batch holding it has committed', async (t) => {
    const hub = await startIngestFixture({}, { flushMs: 400 });
    t.after(() => hub.close());
    const peer = await hub.peer();
    await peer.send(datagram('pico-1', 0, { ack: true }));
    await until(() => hub.ingest.stats('pico-1')?.accepted === 1, 'accepted');
    await peer.send(datagram('pico-1', 0, { ack: true }));
    await until(() => hub.ingest.stats('pico-1')?.duplicates === 1, 'resend seen');
    await sleep(100);
    assert.equal(peer.acks.length, 0, 'no ack while the reading waits for its batch');
    assert.equal(hub.ingest.writer.pending, 1);
    await until(() => peer.acks.length === 2, 'both acks after the commit', 3000);
    const reader = await openSqliteStore({ path: hub.path });
    t.after(() => reader.close());
    const rows = await reader.queryTelemetry({ deviceId: 'pico-1', from: 0, to: Number.MAX_SAFE_INTEGER });
    assert.deepEqual(
      rows.map((r) => r.value),
      [20],
      'acked means in the file',
    );
  });

  it('sends no ack when the write fails, and stores the resend', async (t) => {
    const hub = await startIngestFixture({}, { flushMs: 5 });
    t.after(() => hub.close());
    const insert = hub.store.insertTelemetry.bind(hub.store);
    let failures = 1;
    hub.store.insertTelemetry = (rows) => (failures-- > 0 ? Promise.reject(new Error('disk I/O error')) : insert(rows));
    const peer = await hub.peer();
    await peer.send(datagram('pico-1', 0, { ack: true }));
    await until(() => hub.ingest.writer.failed === 1, 'the write failed');
    await sleep(50);
    assert.equal(peer.acks.length, 0, 'a reading that was not stored is not acked');
    assert.equal(hub.ingest.stats('pico-1')?.accepted, 0);
    await peer.send(datagram('pico-1', 0, { ack: true }));
    await until(() => peer.acks.length === 1, 'the resend is acked');
    const stats = hub.ingest.stats('pico-1');
    assert.equal(stats?.duplicates, 0, 'the resend is new, not a duplicate');
    assert.equal(stats?.accepted, 1);
    assert.equal((await hub.store.queryTelemetry({ deviceId: 'pico-1', from: 0, to: Number.MAX_SAFE_INTEGER })).length, 1);
  });

  it('a captured signed datagram replayed at 10× the rate limit does not cost its device a reading', async (t) => {
    const limit = 100;
    const hub = await startIngestFixture({ devices: [{ id: 'pico-1', telemetryKey: KEY }], telemetry: { maxPerDevicePerSecond: limit } }, { flushMs: 20, rejectionIntervalMs: 60_000 });
    t.after(() => hub.close());
    const device = await hub.peer(KEY);
    const now = Date.now();
    const captured = encodeTelemetry(datagram('pico-1', 0, { ack: true, time: now }), sign(KEY));
    const replayer = createSocket('udp4');
    let replayAcks = 0;
    replayer.on('message', () => (replayAcks += 1));
    await new Promise<void>((resolve) => replayer.bind(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => replayer.close(() => resolve())));

    // The device sends 60 readings at half its limit (one per 20 ms, 1.2 s); the replayer
    // sends the device's first datagram 10 per 10 ms (1,000/s), from its first reading on.
    const readings = 60;
    let replayed = 0;
    const started = Date.now();
    for (let seq = 0; seq < readings && Date.now() - started < 5000; seq++) {
      await device.send(datagram('pico-1', seq, { ack: true, time: now + seq }));
      for (let burst = 0; burst < 2; burst++) {
        for (let i = 0; i < 10; i++) replayer.send(captured, hub.port, '127.0.0.1');
        replayed += 10;
        await sleep(10);
      }
    }
    await until(() => (hub.ingest.stats('pico-1')?.received ?? 0) >= readings + replayed * 0.9, 'datagrams handled');
    await until(() => device.acks.length >= readings, 'every reading acked', 3000);
    const stats = hub.ingest.stats('pico-1');
    assert.equal(stats?.accepted, readings, 'every reading accepted');
    assert.equal(stats?.rejected[ErrorCode.RATE_LIMITED], undefined, 'the replays spent none of the rate budget');
    assert.ok((stats?.duplicates ?? 0) >= replayed * 0.9, `replays counted as duplicates (${stats?.duplicates} of ${replayed})`);
    const elapsed = (Date.now() - started) / 1000;
    assert.ok(replayAcks <= limit * (elapsed + 1) + 1, `acks to resends are limited to the device's rate (${replayAcks} in ${elapsed} s)`);
    await hub.ingest.flush();
    assert.equal((await hub.store.queryTelemetry({ deviceId: 'pico-1', from: 0, to: Number.MAX_SAFE_INTEGER })).length, readings);
  });
});
