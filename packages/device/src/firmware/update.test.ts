import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { ErrorCode } from '@picolink/protocol';
import { DirectoryFirmwareStore } from './directory-store.js';
import { MemoryFirmwareStore } from './store.js';
import type { FirmwareStore } from './store.js';
import { checkUpdateAtStart, checkUpdateHashes, decodeUpdateFiles, installUpdate, sha256Hex, SIM_FAIL_START, UPDATE_MARKER } from './update.js';

async function text(store: FirmwareStore, name: string): Promise<string | undefined> {
  const data = await store.read(name);
  return data === undefined ? undefined : Buffer.from(data).toString('utf8');
}

async function update(store: FirmwareStore, files: Record<string, string>, options: { compress?: boolean; sha256?: Record<string, string> } = {}): Promise<string[]> {
  const decoded = decodeUpdateFiles(files, options.compress ?? false);
  checkUpdateHashes(decoded, options.sha256);
  return installUpdate(store, decoded);
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: { code?: string }) => err.code === code);
}

test('a good update swaps the files, keeps backups, and is confirmed at the next start', async () => {
  const store = new MemoryFirmwareStore({ 'main.py': 'old main', 'lib/util.py': 'old util' });
  const names = await update(store, { 'main.py': 'new main', 'lib/extra.py': 'extra' });
  assert.deepEqual(names, ['lib/extra.py', 'main.py']);
  assert.equal(await text(store, 'main.py'), 'new main');
  assert.equal(await text(store, 'main.py.bak'), 'old main');
  assert.equal(await text(store, 'lib/util.py'), 'old util', 'files not in the update are untouched');
  assert.notEqual(await store.read(UPDATE_MARKER), undefined, 'the marker waits for the next start');
  assert.deepEqual(await checkUpdateAtStart(store), { status: 'ok', files: ['lib/extra.py', 'main.py'] });
  assert.equal(await store.read(UPDATE_MARKER), undefined, 'the marker is cleared after a good start');
  assert.equal(await checkUpdateAtStart(store), undefined, 'a later start has nothing to check (no stale rollback)');
  assert.equal(await text(store, 'main.py'), 'new main');
});

test('new code that fails to start is rolled back to the backups; new files are removed', async () => {
  const store = new MemoryFirmwareStore({ 'main.py': 'old main' });
  await update(store, { 'main.py': `# ${SIM_FAIL_START}\nraise Exception`, 'helper.py': 'new helper' });
  assert.deepEqual(await checkUpdateAtStart(store), { status: 'rolled_back', files: ['helper.py', 'main.py'] });
  assert.equal(await text(store, 'main.py'), 'old main');
  assert.equal(await store.read('helper.py'), undefined);
  assert.deepEqual(await store.list(), ['main.py']);
});

test('a wrong or missing SHA-256 rejects the update before anything is written', async () => {
  const store = new MemoryFirmwareStore({ 'main.py': 'old' });
  const good = sha256Hex(Buffer.from('new'));
  await rejectsWith(update(store, { 'main.py': 'new' }, { sha256: { 'main.py': sha256Hex(Buffer.from('other')) } }), ErrorCode.UPDATE_HASH);
  await rejectsWith(update(store, { 'main.py': 'new', 'b.py': 'b' }, { sha256: { 'main.py': good } }), ErrorCode.UPDATE_HASH);
  assert.deepEqual(await store.list(), ['main.py']);
  assert.equal(await text(store, 'main.py'), 'old');
  // A digest for a file that is not sent is ignored.
  assert.deepEqual(await update(store, { 'main.py': 'new' }, { sha256: { 'main.py': good, 'ghost.py': good } }), ['main.py']);
});

test('compressed files are base64 of zlib data; the digest covers the decompressed content', async () => {
  const store = new MemoryFirmwareStore();
  const content = 'print("hello")\n'.repeat(50);
  const packed = deflateSync(Buffer.from(content)).toString('base64');
  await update(store, { 'main.py': packed }, { compress: true, sha256: { 'main.py': sha256Hex(Buffer.from(content)) } });
  assert.equal(await text(store, 'main.py'), content);
  await rejectsWith(update(store, { 'a.py': 'not base64!' }, { compress: true }), ErrorCode.UPDATE_FILE);
  await rejectsWith(update(store, { 'a.py': Buffer.from('plain text').toString('base64') }, { compress: true }), ErrorCode.UPDATE_FILE);
});

test('names the update procedure uses for itself are refused', async () => {
  const store = new MemoryFirmwareStore();
  for (const name of ['main.py.bak', 'main.py.new', UPDATE_MARKER]) {
    await rejectsWith(update(store, { [name]: 'x' }), ErrorCode.UPDATE_FILE);
  }
});

test('a swap cut short by power loss is rolled back at the next start', async () => {
  const store = new MemoryFirmwareStore({ 'a.py': 'old a', 'b.py': 'old b' });
  await update(store, { 'a.py': 'new a', 'b.py': 'new b' });
  // Undo the last step of the swap by hand: b.py was backed up but .new never moved in.
  await store.rename('b.py', 'b.py.new');
  assert.deepEqual(await checkUpdateAtStart(store), { status: 'rolled_back', files: ['a.py', 'b.py'] });
  assert.equal(await text(store, 'a.py'), 'old a');
  assert.equal(await text(store, 'b.py'), 'old b');
  assert.deepEqual((await store.list()).filter((n) => n.endsWith('.new')), []);
});

test('the directory store keeps real files: .new while writing, .bak after, marker cleared at start', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'picolink-fw-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'main.py'), 'old main');
  const store = new DirectoryFirmwareStore(dir);
  await update(store, { 'main.py': 'new main', 'lib/net.py': 'net' });
  assert.deepEqual((await readdir(dir)).sort(), [UPDATE_MARKER, 'lib', 'main.py', 'main.py.bak'].sort());
  assert.equal(await readFile(join(dir, 'main.py'), 'utf8'), 'new main');
  assert.equal(await readFile(join(dir, 'main.py.bak'), 'utf8'), 'old main');
  assert.equal(await readFile(join(dir, 'lib', 'net.py'), 'utf8'), 'net');
  assert.deepEqual(await store.list(), [UPDATE_MARKER, 'lib/net.py', 'main.py', 'main.py.bak'].sort());
  assert.deepEqual(await checkUpdateAtStart(store), { status: 'ok', files: ['lib/net.py', 'main.py'] });
  assert.deepEqual((await readdir(dir)).sort(), ['lib', 'main.py', 'main.py.bak']);
});

test('the directory store rolls back on disk too', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'picolink-fw-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'main.py'), 'old main');
  const store = new DirectoryFirmwareStore(dir);
  await update(store, { 'main.py': SIM_FAIL_START });
  assert.equal((await checkUpdateAtStart(store))?.status, 'rolled_back');
  assert.equal(await readFile(join(dir, 'main.py'), 'utf8'), 'old main');
  assert.deepEqual(await readdir(dir), ['main.py']);
});
