import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { MemoryFirmwareStore, SIM_FAIL_START } from '../src/index.js';
import type { FirmwareStore } from '../src/index.js';
import { connectWhenUp, delay } from '@picolink/test-kit/line-client';
import { startTestDevice } from './fixtures.js';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function text(store: FirmwareStore, name: string): Promise<string | undefined> {
  const data = await store.read(name);
  return data === undefined ? undefined : Buffer.from(data).toString('utf8');
}

async function lastUpdateAfterRestart(port: number, t: { after(fn: () => void): void }): Promise<unknown> {
  const client = await connectWhenUp(port);
  t.after(() => client.close());
  return ((await client.request({ action: 'get_info' })).info as { last_update: unknown }).last_update;
}

test('update with matching SHA-256: files swapped, device restarts, last_update is ok', async (t) => {
  const firmware = new MemoryFirmwareStore({ 'main.py': 'old main', 'boot.py': 'boot' });
  const device = await startTestDevice(t, { firmware });
  const client = await device.connect();
  const files = { 'main.py': 'new main', 'lib/sensors.py': 'sensors' };
  const reply = await client.request({
    id: 'u1',
    action: 'update',
    files,
    sha256: { 'main.py': sha256(files['main.py']), 'lib/sensors.py': sha256(files['lib/sensors.py']) },
  });
  assert.equal(reply.ok, true, JSON.stringify(reply));
  assert.deepEqual(reply.files, ['lib/sensors.py', 'main.py'], 'the echo names the files without their content');
  assert.deepEqual(reply.updated, ['lib/sensors.py', 'main.py']);
  assert.equal(await client.closesWithin(1000), true, 'the device restarts into the new files');
  assert.deepEqual(await lastUpdateAfterRestart(device.port, t), { status: 'ok', files: ['lib/sensors.py', 'main.py'] });
  assert.equal(await text(firmware, 'main.py'), 'new main');
  assert.equal(await text(firmware, 'main.py.bak'), 'old main');
  assert.equal(await text(firmware, 'boot.py'), 'boot');
});

test('update with a wrong SHA-256: PL_ERR_UPDATE_HASH, nothing changed, no restart', async (t) => {
  const firmware = new MemoryFirmwareStore({ 'main.py': 'old main' });
  const device = await startTestDevice(t, { firmware });
  const client = await device.connect();
  const reply = await client.request({ action: 'update', files: { 'main.py': 'new main' }, sha256: { 'main.py': sha256('something else') } });
  assert.equal(reply.ok, false);
  assert.equal(reply.code, 'PL_ERR_UPDATE_HASH');
  assert.match(reply.error as string, /nothing was replaced/);
  assert.deepEqual(await firmware.list(), ['main.py']);
  assert.equal(await text(firmware, 'main.py'), 'old main');
  await delay(100);
  assert.equal((await client.request({ action: 'ping' })).ok, true, 'still connected: no restart');
});

test('an update whose code fails to start is rolled back at the next start', async (t) => {
  const firmware = new MemoryFirmwareStore({ 'main.py': 'old main' });
  const device = await startTestDevice(t, { firmware });
  const client = await device.connect();
  const reply = await client.request({ action: 'update', files: { 'main.py': `import broken  # ${SIM_FAIL_START}` } });
  assert.equal(reply.ok, true);
  assert.equal(await client.closesWithin(1000), true);
  assert.deepEqual(await lastUpdateAfterRestart(device.port, t), { status: 'rolled_back', files: ['main.py'] });
  assert.equal(await text(firmware, 'main.py'), 'old main');
});

test('a compressed update (zlib + base64) is written as real files in filesDir', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'picolink-update-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'main.py'), 'old main');
  const device = await startTestDevice(t, { filesDir: dir });
  const client = await device.connect();
  const content = 'while True:\n    pass\n'.repeat(20);
  const reply = await client.request({
    action: 'update',
    compress: true,
    files: { 'main.py': deflateSync(content).toString('base64') },
    sha256: { 'main.py': sha256(content) },
  });
  assert.equal(reply.ok, true, JSON.stringify(reply));
  assert.equal(await client.closesWithin(1000), true);
  assert.deepEqual(await lastUpdateAfterRestart(device.port, t), { status: 'ok', files: ['main.py'] });
  assert.equal(await readFile(join(dir, 'main.py'), 'utf8'), content);
  assert.equal(await readFile(join(dir, 'main.py.bak'), 'utf8'), 'old main');
  assert.deepEqual((await readdir(dir)).sort(), ['main.py', 'main.py.bak']);
});

test('compressed contents that are not base64 of zlib data: PL_ERR_UPDATE_FILE', async (t) => {
  const firmware = new MemoryFirmwareStore({ 'main.py': 'old main' });
  const device = await startTestDevice(t, { firmware });
  const client = await device.connect();
  const notBase64 = await client.request({ action: 'update', compress: true, files: { 'main.py': '%%%' } });
  assert.equal(notBase64.code, 'PL_ERR_UPDATE_FILE');
  const notZlib = await client.request({ action: 'update', compress: 'true', files: { 'main.py': Buffer.from('hi').toString('base64') } });
  assert.equal(notZlib.code, 'PL_ERR_UPDATE_FILE');
  const unsafe = await client.request({ action: 'update', files: { '../etc/passwd': 'x' } });
  assert.equal(unsafe.code, 'PL_ERR_UPDATE_FILE');
  assert.deepEqual(await firmware.list(), ['main.py']);
});
