/**
 * The HubStore contract: every store implementation runs this suite (SQLite in
 * sqlite-store.test.ts; a PostgreSQL store would call it the same way). Each test gets a
 * fresh, empty store from the factory and closes it afterwards.
 *
 *   describeStoreContract('sqlite', () => openSqliteStore({ path: freshFile() }));
 */
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ErrorCode } from '@picolink/protocol';
import type { HubStore, OutputState, TelemetryRow } from '../src/store/store.js';

export type StoreFactory = () => Promise<HubStore>;

const T0 = 1_700_000_000_000;

function rows(deviceId: string, metric: string, times: readonly number[], value: (i: number) => number = (i) => i): TelemetryRow[] {
  return times.map((time, i) => ({ deviceId, metric, time, value: value(i) }));
}

function range(count: number, start = T0, step = 1): number[] {
  return Array.from({ length: count }, (_, i) => start + i * step);
}

function output(deviceId: string, pin: number | 'LED', overrides: Partial<OutputState> = {}): OutputState {
  return { deviceId, pin, setup: { action: 'setup_pin', pin, mode: 'output', value: 0 }, value: 1, leaseUntil: null, leaseValue: null, leaseWrite: null, updatedAt: T0, ...overrides };
}

export function describeStoreContract(name: string, makeStore: StoreFactory): void {
  describe(`HubStore contract: ${name}`, () => {
    let store: HubStore;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('devices', () => {
      it('creates a device on first upsert with absent fields as null', async () => {
        await store.upsertDevice({ id: 'pico-1', mode: 'telemetry', seenAt: T0 });
        assert.deepEqual(await store.getDevice('pico-1'), {
          id: 'pico-1',
          mode: 'telemetry',
          address: null,
          firmware: null,
          info: null,
          firstSeen: T0,
          lastSeen: T0,
        });
      });

      it('keeps fields an upsert does not give, replaces those it gives (null included)', async () => {
        const info = { memory: { free: 1234, nested: [1, 2, { deep: true }] }, rssi: -61 };
        await store.upsertDevice({ id: 'pico-1', mode: 'dial-home', address: '10.0.0.5:4000', firmware: '0.1.0', info, seenAt: T0 });
        await store.upsertDevice({ id: 'pico-1', mode: 'dial-home', seenAt: T0 + 1000 });
        let device = await store.getDevice('pico-1');
        assert.equal(device?.address, '10.0.0.5:4000');
        assert.equal(device?.firmware, '0.1.0');
        assert.deepEqual(device?.info, info);
        assert.equal(device?.firstSeen, T0);
        assert.equal(device?.lastSeen, T0 + 1000);

        await store.upsertDevice({ id: 'pico-1', mode: 'server', address: '10.0.0.6:12345', firmware: null, seenAt: T0 + 2000 });
        device = await store.getDevice('pico-1');
        assert.equal(device?.mode, 'server');
        assert.equal(device?.address, '10.0.0.6:12345');
        assert.equal(device?.firmware, null);
        assert.deepEqual(device?.info, info);
      });

      it('never moves lastSeen backwards or firstSeen forwards', async () => {
        await store.upsertDevice({ id: 'pico-1', mode: 'telemetry', seenAt: T0 + 5000 });
        await store.upsertDevice({ id: 'pico-1', mode: 'telemetry', seenAt: T0 });
        const device = await store.getDevice('pico-1');
        assert.equal(device?.firstSeen, T0);
        assert.equal(device?.lastSeen, T0 + 5000);
      });

      it('answers undefined for an unknown id and lists devices by id', async () => {
        assert.equal(await store.getDevice('nobody'), undefined);
        assert.deepEqual(await store.listDevices(), []);
        for (const id of ['pico-b', 'pico-a', 'pico-c']) await store.upsertDevice({ id, mode: 'telemetry', seenAt: T0 });
        assert.deepEqual(
          (await store.listDevices()).map((d) => d.id),
          ['pico-a', 'pico-b', 'pico-c'],
        );
      });
    });

    describe('sessions', () => {
      it('opens sessions with distinct ids and lists them newest first', async () => {
        const first = await store.openSession({ deviceId: 'pico-1', mode: 'dial-home', address: '10.0.0.5:4000', openedAt: T0 });
        const second = await store.openSession({ deviceId: 'pico-1', mode: 'dial-home', address: null, openedAt: T0 + 10 });
        await store.openSession({ deviceId: 'pico-2', mode: 'server', address: null, openedAt: T0 + 20 });
        assert.notEqual(first, second);
        const sessions = await store.listSessions('pico-1');
        assert.deepEqual(
          sessions.map((s) => s.id),
          [second, first],
        );
        assert.deepEqual(sessions[1], { id: first, deviceId: 'pico-1', mode: 'dial-home', address: '10.0.0.5:4000', openedAt: T0, closedAt: null, closeReason: null });
      });

      it('closes a session once: a second close and an unknown id change nothing', async () => {
        const id = await store.openSession({ deviceId: 'pico-1', mode: 'dial-home', address: null, openedAt: T0 });
        await store.closeSession(id, T0 + 100, 'heartbeat timeout');
        await store.closeSession(id, T0 + 200, 'replaced');
        await store.closeSession(id + 1000, T0 + 300, 'no such session');
        const [session] = await store.listSessions('pico-1');
        assert.equal(session?.closedAt, T0 + 100);
        assert.equal(session?.closeReason, 'heartbeat timeout');
      });

      it('limits the listing', async () => {
        for (let i = 0; i < 5; i++) await store.openSession({ deviceId: 'pico-1', mode: 'server', address: null, openedAt: T0 + i });
        const sessions = await store.listSessions('pico-1', 2);
        assert.deepEqual(
          sessions.map((s) => s.openedAt),
          [T0 + 4, T0 + 3],
        );
        await assert.rejects(store.listSessions('pico-1', 0), { code: ErrorCode.OUT_OF_RANGE });
      });
    });

    describe('telemetry', () => {
      it('returns the rows of a time range: from inclusive, to exclusive, in time order', async () => {
        await store.insertTelemetry(rows('pico-1', 'temp_c', [T0 + 30, T0 + 10, T0 + 20, T0 + 40], (i) => 20 + i / 2));
        await store.insertTelemetry(rows('pico-2', 'temp_c', [T0 + 20]));
        assert.deepEqual(await store.queryTelemetry({ deviceId: 'pico-1', from: T0 + 10, to: T0 + 40 }), [
          { deviceId: 'pico-1', metric: 'temp_c', time: T0 + 10, value: 20.5 },
          { deviceId: 'pico-1', metric: 'temp_c', time: T0 + 20, value: 21 },
          { deviceId: 'pico-1', metric: 'temp_c', time: T0 + 30, value: 20 },
        ]);
      });

      it('filters by metric and returns all metrics without one', async () => {
        await store.insertTelemetry([...rows('pico-1', 'temp_c', [T0, T0 + 2]), ...rows('pico-1', 'humidity', [T0 + 1], () => 40)]);
        const all = await store.queryTelemetry({ deviceId: 'pico-1', from: T0, to: T0 + 10 });
        assert.deepEqual(
          all.map((r) => `${r.metric}@${r.time - T0}`),
          ['temp_c@0', 'humidity@1', 'temp_c@2'],
        );
        const humidity = await store.queryTelemetry({ deviceId: 'pico-1', metric: 'humidity', from: T0, to: T0 + 10 });
        assert.deepEqual(humidity, [{ deviceId: 'pico-1', metric: 'humidity', time: T0 + 1, value: 40 }]);
        assert.deepEqual(await store.queryTelemetry({ deviceId: 'pico-1', metric: 'nothing', from: T0, to: T0 + 10 }), []);
        assert.deepEqual(await store.queryTelemetry({ deviceId: 'pico-9', from: T0, to: T0 + 10 }), []);
      });

      it('keeps values exactly: negatives, fractions, large and tiny numbers', async () => {
        const values = [-40.25, 0, 1e-9, 123456789.125, -0.5, 65535];
        await store.insertTelemetry(rows('pico-1', 'v', range(values.length), (i) => values[i] ?? 0));
        const back = await store.queryTelemetry({ deviceId: 'pico-1', from: T0, to: T0 + 100 });
        assert.deepEqual(
          back.map((r) => r.value),
          values,
        );
      });

      it('applies the limit (first rows of the range) and a default of 10,000', async () => {
        await store.insertTelemetry(rows('pico-1', 'temp_c', range(10_005)));
        const limited = await store.queryTelemetry({ deviceId: 'pico-1', from: T0, to: T0 + 1e6, limit: 3 });
        assert.deepEqual(
          limited.map((r) => r.time - T0),
          [0, 1, 2],
        );
        assert.equal((await store.queryTelemetry({ deviceId: 'pico-1', from: T0, to: T0 + 1e6 })).length, 10_000);
        await assert.rejects(store.queryTelemetry({ deviceId: 'pico-1', from: T0, to: T0 + 1, limit: 0 }), { code: ErrorCode.OUT_OF_RANGE });
        await assert.rejects(store.queryTelemetry({ deviceId: 'pico-1', from: T0, to: T0 + 1, limit: 2.5 }), { code: ErrorCode.OUT_OF_RANGE });
      });

      it('answers an empty or reversed range with no rows', async () => {
        await store.insertTelemetry(rows('pico-1', 'temp_c', [T0]));
        assert.deepEqual(await store.queryTelemetry({ deviceId: 'pico-1', from: T0, to: T0 }), []);
        assert.deepEqual(await store.queryTelemetry({ deviceId: 'pico-1', from: T0 + 5, to: T0 }), []);
        assert.deepEqual(await store.bucketTelemetry({ deviceId: 'pico-1', from: T0 + 5, to: T0, bucketMs: 1000 }), []);
      });

      it('accepts an empty insert and a batch of 50,000 rows in one call', async () => {
        await store.insertTelemetry([]);
        const big = [...rows('pico-1', 'a', range(25_000)), ...rows('pico-1', 'b', range(25_000))];
        await store.insertTelemetry(big);
        const buckets = await store.bucketTelemetry({ deviceId: 'pico-1', from: T0, to: T0 + 25_000, bucketMs: 1_000_000 });
        assert.deepEqual(
          buckets.map((b) => [b.metric, b.count]),
          [
            ['a', 25_000],
            ['b', 25_000],
          ],
        );
      });

      it('buckets min/max/avg per metric, aligned to multiples of bucketMs, skipping empty buckets', async () => {
        // bucketMs 1000; T0 is a multiple of 1000. Rows at +100, +900 (bucket 0), +1500 (bucket 1), +3200 (bucket 3).
        await store.insertTelemetry([
          ...rows('pico-1', 'temp_c', [T0 + 100, T0 + 900, T0 + 1500, T0 + 3200], (i) => [10, 20, 5, 7][i] ?? 0),
          ...rows('pico-1', 'adc0', [T0 + 1999], () => 3),
        ]);
        const buckets = await store.bucketTelemetry({ deviceId: 'pico-1', from: T0 + 50, to: T0 + 10_000, bucketMs: 1000 });
        assert.deepEqual(buckets, [
          { metric: 'adc0', time: T0 + 1000, count: 1, min: 3, max: 3, avg: 3 },
          { metric: 'temp_c', time: T0, count: 2, min: 10, max: 20, avg: 15 },
          { metric: 'temp_c', time: T0 + 1000, count: 1, min: 5, max: 5, avg: 5 },
          { metric: 'temp_c', time: T0 + 3000, count: 1, min: 7, max: 7, avg: 7 },
        ]);
        for (const bucket of buckets) assert.equal(bucket.time % 1000, 0);
      });

      it('counts only rows inside the range in the partial first and last buckets', async () => {
        await store.insertTelemetry(rows('pico-1', 'temp_c', range(10, T0, 100), (i) => i));
        // Range [T0+250, T0+750): rows 3..7; buckets of 500 ms start at T0 and T0+500.
        const buckets = await store.bucketTelemetry({ deviceId: 'pico-1', metric: 'temp_c', from: T0 + 250, to: T0 + 750, bucketMs: 500 });
        assert.deepEqual(buckets, [
          { metric: 'temp_c', time: T0, count: 2, min: 3, max: 4, avg: 3.5 },
          { metric: 'temp_c', time: T0 + 500, count: 3, min: 5, max: 7, avg: 6 },
        ]);
        assert.deepEqual(await store.bucketTelemetry({ deviceId: 'pico-1', metric: 'temp_c', from: T0 + 2000, to: T0 + 3000, bucketMs: 500 }), []);
      });

      it('limits buckets and refuses a bucket size that is not a positive whole number', async () => {
        await store.insertTelemetry(rows('pico-1', 'temp_c', range(100, T0, 10)));
        assert.equal((await store.bucketTelemetry({ deviceId: 'pico-1', from: T0, to: T0 + 1000, bucketMs: 10, limit: 7 })).length, 7);
        for (const bucketMs of [0, -5, 1.5, Number.NaN]) {
          await assert.rejects(store.bucketTelemetry({ deviceId: 'pico-1', from: T0, to: T0 + 1000, bucketMs }), { code: ErrorCode.OUT_OF_RANGE });
        }
      });

      it('lists the metrics of a device, sorted', async () => {
        assert.deepEqual(await store.listMetrics('pico-1'), []);
        await store.insertTelemetry([...rows('pico-1', 'temp_c', [T0]), ...rows('pico-1', 'adc0', [T0]), ...rows('pico-2', 'rssi', [T0])]);
        assert.deepEqual(await store.listMetrics('pico-1'), ['adc0', 'temp_c']);
        assert.deepEqual(await store.listMetrics('pico-2'), ['rssi']);
      });
    });

    describe('events and audit', () => {
      it('stores events and lists them newest first with filters and a limit', async () => {
        await store.insertEvents([
          { deviceId: 'pico-1', type: 'online', time: T0, data: {} },
          { deviceId: 'pico-1', type: 'pin_change', time: T0 + 10, deviceTime: 5000, data: { pin: 2, value: 1, cause: 'input' } },
          { deviceId: 'pico-2', type: 'online', time: T0 + 20, data: { address: '10.0.0.9:1' } },
          { deviceId: 'pico-1', type: 'offline', time: T0 + 30, data: { reason: 'heartbeat timeout' } },
        ]);
        const all = await store.listEvents({});
        assert.deepEqual(
          all.map((e) => e.type),
          ['offline', 'online', 'pin_change', 'online'],
        );
        for (const event of all) assert.equal(typeof event.id, 'number');
        const pin = all.find((e) => e.type === 'pin_change');
        assert.deepEqual(pin?.data, { pin: 2, value: 1, cause: 'input' });
        assert.equal(pin?.deviceTime, 5000);
        assert.equal(all[0]?.deviceTime, null);

        assert.deepEqual(
          (await store.listEvents({ deviceId: 'pico-1' })).map((e) => e.time - T0),
          [30, 10, 0],
        );
        assert.deepEqual(
          (await store.listEvents({ type: 'online' })).map((e) => e.deviceId),
          ['pico-2', 'pico-1'],
        );
        assert.deepEqual(
          (await store.listEvents({ from: T0 + 10, to: T0 + 30 })).map((e) => e.time - T0),
          [20, 10],
        );
        assert.deepEqual(
          (await store.listEvents({ limit: 1 })).map((e) => e.type),
          ['offline'],
        );
        await store.insertEvents([]);
        assert.equal((await store.listEvents({ limit: 100 })).length, 4);
      });

      it('records audit entries with request and response and lists them newest first', async () => {
        await store.insertAudit({ time: T0, actor: 'api:admin', deviceId: 'pico-1', action: 'write_pin', request: { action: 'write_pin', pin: 2, value: 1 }, result: 'ok', response: { ok: true, previous: 0 } });
        await store.insertAudit({ time: T0 + 5, actor: 'hub', deviceId: 'pico-1', action: 'setup_pin', request: { action: 'setup_pin', pin: 99 }, result: 'PL_ERR_NO_SUCH_PIN', response: null });
        await store.insertAudit({ time: T0 + 9, actor: 'api:admin', deviceId: 'pico-2', action: 'ping', request: { action: 'ping' }, result: 'ok', response: { ok: true } });
        const list = await store.listAudit({ deviceId: 'pico-1' });
        assert.equal(list.length, 2);
        assert.equal(typeof list[0]?.id, 'number');
        assert.deepEqual({ ...list[0], id: undefined }, { id: undefined, time: T0 + 5, actor: 'hub', deviceId: 'pico-1', action: 'setup_pin', request: { action: 'setup_pin', pin: 99 }, result: 'PL_ERR_NO_SUCH_PIN', response: null });
        assert.deepEqual(list[1]?.response, { ok: true, previous: 0 });
        assert.deepEqual(
          (await store.listAudit({ from: T0 + 1 })).map((a) => a.action),
          ['ping', 'setup_pin'],
        );
        assert.equal((await store.listAudit({ limit: 1 })).length, 1);
      });
    });

    describe('output states', () => {
      it('saves, replaces, loads (numbered pins in order, then LED) and deletes per pin', async () => {
        await store.saveOutputState(output('pico-1', 'LED'));
        await store.saveOutputState(output('pico-1', 15));
        await store.saveOutputState(output('pico-1', 2));
        await store.saveOutputState(output('pico-2', 2, { value: 0 }));
        await store.saveOutputState(output('pico-1', 2, { value: null, leaseUntil: T0 + 5000, leaseValue: 0, leaseWrite: 1, updatedAt: T0 + 1 }));
        const states = await store.loadOutputStates('pico-1');
        assert.deepEqual(
          states.map((s) => s.pin),
          [2, 15, 'LED'],
        );
        assert.deepEqual(states[0], output('pico-1', 2, { value: null, leaseUntil: T0 + 5000, leaseValue: 0, leaseWrite: 1, updatedAt: T0 + 1 }));
        assert.deepEqual(states[2], output('pico-1', 'LED'));

        await store.deleteOutputState('pico-1', 'LED');
        await store.deleteOutputState('pico-1', 7);
        assert.deepEqual(
          (await store.loadOutputStates('pico-1')).map((s) => s.pin),
          [2, 15],
        );
        assert.deepEqual(await store.loadOutputStates('pico-2'), [output('pico-2', 2, { value: 0 })]);
        assert.deepEqual(await store.loadOutputStates('pico-3'), []);
        // Several devices in one call: each list as loadOutputStates gives it, in the ids' order.
        const ids = ['pico-3', 'pico-2', 'pico-1'];
        assert.deepEqual(await store.loadOutputStatesOf(ids), await Promise.all(ids.map((id) => store.loadOutputStates(id))));
      });

      it('keeps a null setup', async () => {
        await store.saveOutputState(output('pico-1', 4, { setup: null }));
        assert.equal((await store.loadOutputStates('pico-1'))[0]?.setup, null);
      });
    });

    describe('saved messages', () => {
      it('adds, lists oldest first with every field, replaces by id and removes', async () => {
        assert.deepEqual(await store.listSavedMessages(), []);
        const hello = { id: 'm1', name: 'hello', data: 'test', encoding: 'text' as const, ending: 'lf' as const, createdAt: T0 + 10 };
        const raw = { id: 'm0', name: 'bytes "é"', data: '74 65 73 74', encoding: 'hex' as const, ending: 'none' as const, createdAt: T0 };
        await store.addSavedMessage(hello);
        await store.addSavedMessage(raw);
        assert.deepEqual(await store.listSavedMessages(), [raw, hello]);
        await store.addSavedMessage({ ...hello, name: 'hello again', ending: 'crlf' });
        assert.deepEqual((await store.listSavedMessages()).map((m) => [m.id, m.name, m.ending]), [['m0', 'bytes "é"', 'none'], ['m1', 'hello again', 'crlf']]);
        assert.equal(await store.removeSavedMessage('m0'), true);
        assert.equal(await store.removeSavedMessage('m0'), false);
        assert.deepEqual((await store.listSavedMessages()).map((m) => m.id), ['m1']);
      });
    });

    describe('managed devices', () => {
      const managed = (id: string, tokenHash = 'aa'.repeat(32), telemetryKey = 'bb'.repeat(32), createdAt = T0) => ({ id, tokenHash, telemetryKey, createdAt });

      it('adds, lists by id, replaces credentials and removes, refusing a second add of the same id', async () => {
        assert.deepEqual(await store.listManagedDevices(), []);
        await store.addManagedDevice(managed('pico-b'));
        await store.addManagedDevice(managed('pico-a', 'cc'.repeat(32)));
        await assert.rejects(store.addManagedDevice(managed('pico-a', 'dd'.repeat(32))), { code: ErrorCode.DEVICE_EXISTS });
        assert.deepEqual(await store.listManagedDevices(), [managed('pico-a', 'cc'.repeat(32)), managed('pico-b')]);

        assert.equal(await store.updateManagedDevice(managed('pico-a', 'ee'.repeat(32), 'ff'.repeat(32), T0 + 5)), true);
        assert.equal(await store.updateManagedDevice(managed('pico-z')), false, 'an unknown id is not created by an update');
        assert.deepEqual((await store.listManagedDevices())[0], managed('pico-a', 'ee'.repeat(32), 'ff'.repeat(32), T0 + 5));

        assert.equal(await store.removeManagedDevice('pico-a'), true);
        assert.equal(await store.removeManagedDevice('pico-a'), false);
        assert.deepEqual(await store.listManagedDevices(), [managed('pico-b')]);
      });

      it('forgetting a device drops its record and outputs, keeps its telemetry, events, audit and sessions, and no other device\'s', async () => {
        for (const id of ['pico-1', 'pico-2']) {
          await store.addManagedDevice(managed(id));
          await store.upsertDevice({ id, mode: 'dial-home', seenAt: T0 });
          await store.insertTelemetry(rows(id, 'temp_c', [T0]));
          await store.saveOutputState(output(id, 2));
          await store.insertEvents([{ deviceId: id, type: 'online', time: T0, data: {} }]);
          await store.insertAudit({ time: T0, actor: 'hub', deviceId: id, action: 'ping', request: {}, result: 'ok', response: null });
          await store.openSession({ deviceId: id, mode: 'dial-home', address: null, openedAt: T0 });
        }
        await store.removeManagedDevice('pico-1');
        await store.forgetDevice('pico-1');
        assert.equal(await store.getDevice('pico-1'), undefined);
        assert.deepEqual((await store.listDevices()).map((d) => d.id), ['pico-2']);
        assert.deepEqual(await store.loadOutputStates('pico-1'), []);
        assert.equal((await store.queryTelemetry({ deviceId: 'pico-1', from: T0, to: T0 + 1 })).length, 1);
        assert.equal((await store.listEvents({ deviceId: 'pico-1' })).length, 1);
        assert.equal((await store.listAudit({ deviceId: 'pico-1' })).length, 1);
        assert.equal((await store.listSessions('pico-1')).length, 1);
        assert.equal((await store.loadOutputStates('pico-2')).length, 1);
        await store.forgetDevice('pico-unknown');
      });
    });

    describe('retention', () => {
      it('deletes what is older than the cut-off and reports how much, keeping open sessions, devices and outputs', async () => {
        const cut = T0 + 1000;
        await store.upsertDevice({ id: 'pico-1', mode: 'telemetry', seenAt: T0 });
        await store.saveOutputState(output('pico-1', 2, { updatedAt: T0 }));
        await store.insertTelemetry([...rows('pico-1', 'temp_c', [T0, T0 + 999, cut, cut + 1]), ...rows('pico-1', 'old_only', [T0 + 5])]);
        await store.insertEvents([
          { deviceId: 'pico-1', type: 'online', time: T0, data: {} },
          { deviceId: 'pico-1', type: 'offline', time: cut, data: {} },
        ]);
        await store.insertAudit({ time: T0, actor: 'hub', deviceId: 'pico-1', action: 'ping', request: {}, result: 'ok', response: null });
        const closedOld = await store.openSession({ deviceId: 'pico-1', mode: 'dial-home', address: null, openedAt: T0 });
        await store.closeSession(closedOld, T0 + 10, 'closed');
        const closedNew = await store.openSession({ deviceId: 'pico-1', mode: 'dial-home', address: null, openedAt: T0 + 20 });
        await store.closeSession(closedNew, cut + 10, 'closed');
        const open = await store.openSession({ deviceId: 'pico-1', mode: 'dial-home', address: null, openedAt: T0 });

        assert.deepEqual(await store.applyRetention(cut), { telemetry: 3, events: 1, audit: 1, sessions: 1 });
        assert.deepEqual(
          (await store.queryTelemetry({ deviceId: 'pico-1', from: 0, to: cut + 100 })).map((r) => r.time),
          [cut, cut + 1],
        );
        assert.deepEqual(await store.listMetrics('pico-1'), ['temp_c'], 'a metric with no rows left is no longer listed');
        assert.deepEqual(
          (await store.listEvents({})).map((e) => e.type),
          ['offline'],
        );
        assert.deepEqual(await store.listAudit({}), []);
        assert.deepEqual((await store.listSessions('pico-1')).map((s) => s.id).sort(), [closedNew, open].sort());
        assert.ok(await store.getDevice('pico-1'));
        assert.equal((await store.loadOutputStates('pico-1')).length, 1);

        assert.deepEqual(await store.applyRetention(cut), { telemetry: 0, events: 0, audit: 0, sessions: 0 });
        await store.insertTelemetry(rows('pico-1', 'old_only', [cut + 5]));
        assert.deepEqual(await store.listMetrics('pico-1'), ['old_only', 'temp_c'], 'a metric can come back after retention');
      });

      it('counts a large deletion exactly', async () => {
        await store.insertTelemetry([...rows('pico-1', 'a', range(30_000)), ...rows('pico-2', 'b', range(30_000))]);
        const result = await store.applyRetention(T0 + 25_000);
        assert.equal(result.telemetry, 50_000);
        assert.equal((await store.queryTelemetry({ deviceId: 'pico-1', from: 0, to: T0 + 1e6 })).length, 5_000);
      });
    });

    it('closes more than once without error', async () => {
      await store.close();
      await store.close();
    });
  });
}
