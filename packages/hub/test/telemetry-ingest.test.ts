/** UDP telemetry ingest over real sockets on 127.0.0.1 into a real SQLite file. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { encodeTelemetry, ErrorCode } from '@picolink/protocol';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { TelemetryRow } from '../src/store/store.js';
import { datagram, KEY, sign, startIngestFixture, until } from './telemetry-fixture.js';

const NOW = Date.now();

describe('telemetry ingest', () => {
  it('stores readings in the SQLite file, queryable by time, and records the device', async (t) => {
    const hub = await startIngestFixture();
    t.after(() => hub.close());
    const live: TelemetryRow[] = [];
    hub.bus.on('telemetry', (rows) => live.push(...rows));
    const peer = await hub.peer();
    // Two readings a second apart inside one minute, ten minutes ago.
    const base = Math.floor((NOW - 600_000) / 60_000) * 60_000;
    await peer.send(datagram('pico-1', 0, { time: base, readings: { temp_c: 21.5, humidity: 40 } }));
    await peer.send(datagram('pico-1', 1, { time: base + 1000, readings: { temp_c: 22 } }));
    const before = Date.now();
    await peer.send(datagram('pico-1', 2, { readings: { temp_c: 22.5 } }));
    await until(() => hub.ingest.stats('pico-1')?.accepted === 3, 'three datagrams accepted');
    assert.equal(live.length, 4, 'rows are published on the bus as they are accepted');
    await hub.ingest.flush();

    // Read the file through a second connection, as the API would.
    const reader = await openSqliteStore({ path: hub.path });
    t.after(() => reader.close());
    const rows = await reader.queryTelemetry({ deviceId: 'pico-1', metric: 'temp_c', from: base, to: Date.now() + 1 });
    assert.deepEqual(
      rows.map((r) => r.value),
      [21.5, 22, 22.5],
    );
    assert.equal(rows[0]?.time, base, 'the datagram time is the row time');
    const received = rows[2]?.time ?? 0;
    assert.ok(received >= before && received <= Date.now(), 'without a datagram time, the hub receive time is used');
    assert.deepEqual(await reader.listMetrics('pico-1'), ['humidity', 'temp_c']);
    const buckets = await reader.bucketTelemetry({ deviceId: 'pico-1', metric: 'temp_c', from: base, to: base + 60_000, bucketMs: 60_000 });
    assert.deepEqual(buckets, [{ metric: 'temp_c', time: base, count: 2, min: 21.5, max: 22, avg: 21.75 }]);

    await until(() => hub.ingest.writer.pending === 0, 'writer drained');
    const device = await hub.store.getDevice('pico-1');
    assert.equal(device?.mode, 'telemetry');
    assert.match(device?.address ?? '', /^127\.0\.0\.1:\d+$/);
    const stats = hub.ingest.stats('pico-1');
    assert.equal(stats?.received, 3);
    assert.equal(stats?.lost, 0);
    assert.ok((stats?.lastSeen ?? 0) >= before);
    assert.equal(hub.ingest.stats('nobody'), undefined);
  });

  it('checks the HMAC of a device with a key: good accepted, forged or missing rejected and counted', async (t) => {
    const hub = await startIngestFixture({ devices: [{ id: 'pico-1', telemetryKey: KEY }, { id: 'pico-2' }] }, { rejectionIntervalMs: 60_000 });
    t.after(() => hub.close());
    const peer = await hub.peer(KEY);
    await peer.send(datagram('pico-1', 0, { ack: true }));
    await peer.send(datagram('pico-1', 1, { ack: true }), 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100');
    await peer.send(datagram('pico-1', 2, { ack: true }), null);
    // A valid MAC on a datagram whose bytes were changed afterwards.
    const tampered = encodeTelemetry(datagram('pico-1', 3), sign(KEY)).replace('"temp_c":23', '"temp_c":99');
    await peer.send(tampered);
    await peer.send(datagram('pico-2', 0), null);
    await until(() => (hub.ingest.stats('pico-1')?.received ?? 0) === 4 && hub.ingest.stats('pico-2')?.accepted === 1, 'all datagrams handled');
    const stats = hub.ingest.stats('pico-1');
    assert.equal(stats?.accepted, 1);
    assert.deepEqual(stats?.rejected, { [ErrorCode.TELEMETRY_BAD_MAC]: 3 });
    await until(() => peer.acks.length === 1, 'one ack');
    assert.deepEqual(peer.acks[0], { ack: { v: 1, device: 'pico-1', boot: 7, ack: 0 }, authenticated: true }, 'acks to a keyed device are signed');
    await hub.ingest.flush();
    assert.deepEqual(
      (await hub.store.queryTelemetry({ deviceId: 'pico-1', from: 0, to: Number.MAX_SAFE_INTEGER })).map((r) => r.value),
      [20],
    );
    const rejected = hub.events.filter((e) => e.type === 'telemetry_rejected');
    assert.equal(rejected.length, 1, 'one event per device and code per interval');
    assert.equal(rejected[0]?.deviceId, 'pico-1');
    assert.equal(rejected[0]?.data.code, ErrorCode.TELEMETRY_BAD_MAC);
    assert.equal(hub.logs.filter((l) => l.includes(ErrorCode.TELEMETRY_BAD_MAC)).length, 1);
  });

  it('acks a resend again but stores it once; rejects a replay older than the window', async (t) => {
    const hub = await startIngestFixture({ devices: [{ id: 'pico-1', telemetryKey: KEY }] }, { replayWindow: 16 });
    t.after(() => hub.close());
    const peer = await hub.peer(KEY);
    const first = datagram('pico-1', 0, { ack: true, time: NOW });
    await peer.send(first);
    await until(() => peer.acks.length === 1, 'first ack');
    await peer.send(first);
    await until(() => peer.acks.length === 2, 'the resend is acked again');
    assert.deepEqual(
      peer.acks.map((a) => a.ack.ack),
      [0, 0],
    );
    await peer.send(datagram('pico-1', 20, { time: NOW + 20 }));
    await peer.send(first);
    await until(() => hub.ingest.stats('pico-1')?.received === 4, 'four datagrams handled');
    const stats = hub.ingest.stats('pico-1');
    assert.equal(stats?.accepted, 2);
    assert.equal(stats?.duplicates, 1);
    assert.equal(stats?.rejected[ErrorCode.TELEMETRY_REPLAY], 1);
    assert.equal(peer.acks.length, 2, 'a replay is not acked');
    await hub.ingest.flush();
    const rows = await hub.store.queryTelemetry({ deviceId: 'pico-1', from: 0, to: Number.MAX_SAFE_INTEGER });
    assert.deepEqual(
      rows.map((r) => r.value),
      [20, 40],
    );
  });

  it('rejects signed datagrams of an earlier boot, and of an unknown boot with an old time', async (t) => {
    const hub = await startIngestFixture({ devices: [{ id: 'pico-1', telemetryKey: KEY }] });
    t.after(() => hub.close());
    const peer = await hub.peer(KEY);
    const oldBoot = datagram('pico-1', 0, { boot: 111, time: NOW - 5000 });
    await peer.send(oldBoot);
    await until(() => hub.ingest.stats('pico-1')?.accepted === 1, 'old boot accepted');
    await peer.send(datagram('pico-1', 0, { boot: 222, time: NOW }));
    await until(() => hub.ingest.stats('pico-1')?.accepted === 2, 'restart accepted');
    await peer.send(oldBoot);
    await peer.send(datagram('pico-1', 5, { boot: 111, time: NOW - 4000 }));
    await peer.send(datagram('pico-1', 0, { boot: 333, time: NOW - 3_600_000 }));
    await peer.send(datagram('pico-1', 0, { boot: 444, time: NOW - 120_000 }));
    await until(() => hub.ingest.stats('pico-1')?.received === 6, 'all handled');
    assert.equal(hub.ingest.stats('pico-1')?.rejected[ErrorCode.TELEMETRY_REPLAY], 4);
    await peer.send(datagram('pico-1', 1, { boot: 222, time: NOW + 100 }));
    await until(() => hub.ingest.stats('pico-1')?.accepted === 3, 'the current boot goes on');
  });

  it('lets a device whose clock once ran far ahead start a new boot with a correct clock', async (t) => {
    const hub = await startIngestFixture({ devices: [{ id: 'pico-1', telemetryKey: KEY }] });
    t.after(() => hub.close());
    const peer = await hub.peer(KEY);
    await peer.send(datagram('pico-1', 0, { boot: 1, time: Date.now() + 86_400_000 }));
    await until(() => hub.ingest.stats('pico-1')?.accepted === 1, 'boot with a wrong clock');
    await peer.send(datagram('pico-1', 0, { boot: 2, time: Date.now() - 5000 }));
    await until(() => hub.ingest.stats('pico-1')?.received === 2, 'handled');
    assert.equal(hub.ingest.stats('pico-1')?.accepted, 2);
  });

  it('judges a late unsigned datagram of an earlier boot in that boot’s window', async (t) => {
    const hub = await startIngestFixture();
    t.after(() => hub.close());
    const peer = await hub.peer();
    await peer.send(datagram('pico-1', 0, { boot: 1 }));
    await peer.send(datagram('pico-1', 2, { boot: 1 }));
    await until(() => hub.ingest.stats('pico-1')?.accepted === 2, 'boot 1');
    await peer.send(datagram('pico-1', 0, { boot: 2 }));
    await until(() => hub.ingest.stats('pico-1')?.accepted === 3, 'boot 2');
    await peer.send(datagram('pico-1', 1, { boot: 1 }));
    await peer.send(datagram('pico-1', 0, { boot: 1 }));
    await until(() => hub.ingest.stats('pico-1')?.received === 5, 'all handled');
    const stats = hub.ingest.stats('pico-1');
    assert.equal(stats?.accepted, 4, 'the late datagram fills the gap');
    assert.equal(stats?.duplicates, 1);
    assert.equal(stats?.lost, 0);
  });

  it('counts loss across a gap and takes it back when a late datagram fills it', async (t) => {
    const hub = await startIngestFixture();
    t.after(() => hub.close());
    const peer = await hub.peer();
    for (const seq of [100, 101, 102, 103, 104, 110, 111, 112]) await peer.send(datagram('pico-1', seq));
    await until(() => hub.ingest.stats('pico-1')?.accepted === 8, 'eight accepted');
    assert.equal(hub.ingest.stats('pico-1')?.lost, 5, 'seq 105-109 are missing; nothing before the first datagram heard counts');
    await peer.send(datagram('pico-1', 107));
    await until(() => hub.ingest.stats('pico-1')?.accepted === 9, 'late datagram accepted');
    assert.equal(hub.ingest.stats('pico-1')?.lost, 4);
    assert.equal(hub.ingest.stats().lost, 4);
  });

  it('counts malformed and oversize datagrams and goes on accepting good ones', async (t) => {
    const hub = await startIngestFixture({}, { rejectionIntervalMs: 60_000 });
    t.after(() => hub.close());
    const peer = await hub.peer();
    const bad = [
      'not json',
      '[1,2,3]',
      '{"v":2,"device":"pico-1","boot":1,"seq":0,"t":0,"readings":{"a":1}}',
      '{"v":1,"device":"pico-1","boot":1,"seq":0,"t":0,"readings":{"a":"1"}}',
      '{"v":1,"device":"pico 1","boot":1,"seq":0,"t":0,"readings":{"a":1}}',
      '{"v":1,"device":"pico-1","boot":1,"seq":-1,"t":0,"readings":{"a":1}}',
      '{"v":1,"device":"pico-1","boot":1,"seq":0,"t":0,"readings":{},"extra":1}',
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
      `{"v":1,"device":"pico-1","boot":1,"seq":0,"t":0,"readings":{"a":1},"pad":"${'x'.repeat(5000)}"}`,
    ];
    for (const message of bad) await peer.send(message);
    await peer.send(datagram('pico-1', 0));
    await until(() => hub.ingest.stats('pico-1')?.accepted === 1, 'good datagram accepted');
    const total = hub.ingest.stats();
    assert.equal(total.received, bad.length + 1);
    assert.equal(total.rejected[ErrorCode.TELEMETRY_MALFORMED], bad.length);
    assert.equal(hub.logs.filter((l) => l.includes(ErrorCode.TELEMETRY_MALFORMED)).length, 1, 'one line per sender and code per interval');
    assert.equal(hub.events.filter((e) => e.type === 'telemetry_rejected').length, 1);
    assert.equal(hub.events[0]?.deviceId, '', 'a datagram that names no valid device is not attributed to one');
  });

  it('rate-limits a flooding device without touching another device', async (t) => {
    const hub = await startIngestFixture({ telemetry: { maxPerDevicePerSecond: 100 } }, { rejectionIntervalMs: 60_000 });
    t.after(() => hub.close());
    const flooder = await hub.peer();
    const neighbour = await hub.peer();
    const started = Date.now();
    const sends: Promise<void>[] = [];
    for (let seq = 0; seq < 2000; seq++) {
      sends.push(flooder.send(datagram('flood', seq)));
      if (seq % 40 === 0) sends.push(neighbour.send(datagram('quiet', seq / 40)));
    }
    await Promise.all(sends);
    await until(() => (hub.ingest.stats('flood')?.received ?? 0) === 2000 && (hub.ingest.stats('quiet')?.received ?? 0) === 50, 'all datagrams handled');
    const elapsed = (Date.now() - started) / 1000;
    const flood = hub.ingest.stats('flood');
    assert.ok(flood !== undefined);
    assert.ok(flood.accepted >= 100 && flood.accepted <= 100 + Math.ceil(100 * elapsed) + 1, `flood accepted ${flood.accepted} in ${elapsed} s`);
    assert.equal(flood.rejected[ErrorCode.RATE_LIMITED], 2000 - flood.accepted);
    assert.equal(hub.ingest.stats('quiet')?.accepted, 50, 'the other device loses nothing');
    assert.equal(hub.logs.filter((l) => l.includes(ErrorCode.RATE_LIMITED)).length, 1);
    await hub.ingest.flush();
    assert.equal((await hub.store.queryTelemetry({ deviceId: 'quiet', from: 0, to: Number.MAX_SAFE_INTEGER })).length, 50);
  });

  it('refuses unknown device ids only when devices are listed and unknown ones are not accepted', async (t) => {
    const strict = await startIngestFixture({ devices: [{ id: 'pico-1' }] });
    const open = await startIngestFixture({ devices: [{ id: 'pico-1' }], gateway: { acceptUnknownDevices: true } });
    const unlisted = await startIngestFixture();
    t.after(async () => {
      await strict.close();
      await open.close();
      await unlisted.close();
    });
    for (const hub of [strict, open, unlisted]) {
      const peer = await hub.peer();
      await peer.send(datagram('stranger', 0, { ack: true }));
      await peer.send(datagram('pico-1', 0));
      await until(() => hub.ingest.stats().received === 2, 'both handled');
    }
    assert.equal(strict.ingest.stats('stranger'), undefined);
    assert.equal(strict.ingest.stats().rejected[ErrorCode.UNKNOWN_DEVICE], 1);
    assert.equal(strict.ingest.stats('pico-1')?.accepted, 1);
    assert.equal(open.ingest.stats('stranger')?.accepted, 1);
    assert.equal(unlisted.ingest.stats('stranger')?.accepted, 1);
  });

  it('reports a continuing flood of rejections once per interval with a count, and records the events', async (t) => {
    const hub = await startIngestFixture({ devices: [{ id: 'pico-1', telemetryKey: KEY }] }, { rejectionIntervalMs: 300 });
    t.after(() => hub.close());
    const peer = await hub.peer();
    for (let seq = 0; seq < 30; seq++) await peer.send(datagram('pico-1', seq), null);
    await until(() => hub.ingest.stats('pico-1')?.received === 30, 'all handled');
    await until(() => hub.logs.length === 2, 'the summary line');
    assert.match(hub.logs[0] ?? '', /"pico-1".*PL_ERR_TELEMETRY_BAD_MAC/);
    assert.match(hub.logs[1] ?? '', /29 datagrams in the last 0\.3 s/);
    const counts = hub.events.map((e) => e.data.count);
    assert.deepEqual(counts, [1, 29]);
    await until(() => hub.logs.length === 2 && hub.events.length === 2, 'quiet afterwards');
    await new Promise((resolve) => setTimeout(resolve, 650));
    assert.equal(hub.logs.length, 2, 'nothing more once the flood stopped');
    const stored = await hub.store.listEvents({ deviceId: 'pico-1', type: 'telemetry_rejected' });
    assert.deepEqual(
      stored.map((e) => e.data.count),
      [29, 1],
    );
  });

  it('writes pending rows on close', async () => {
    const hub = await startIngestFixture({}, { flushMs: 60_000 });
    const peer = await hub.peer();
    await peer.send(datagram('pico-1', 0, { time: NOW }));
    await until(() => hub.ingest.stats('pico-1')?.accepted === 1, 'accepted');
    assert.equal(hub.ingest.writer.pending, 1);
    await hub.ingest.close();
    assert.equal(hub.ingest.writer.written, 1);
    assert.equal((await hub.store.queryTelemetry({ deviceId: 'pico-1', from: 0, to: NOW + 1 })).length, 1);
    await hub.close();
  });
});
