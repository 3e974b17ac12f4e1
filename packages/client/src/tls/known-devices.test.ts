import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { addKnownDevice, defaultKnownDevicesPath, findKnownDevice, readKnownDevices } from './known-devices.js';

const A = 'AA:'.repeat(31) + 'AA';
const B = 'BB:'.repeat(31) + 'BB';

async function withTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'picolink-known-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the default path is ~/.picolink/known_devices unless PICOLINK_KNOWN_DEVICES is set', () => {
  assert.equal(defaultKnownDevicesPath({}), join(homedir(), '.picolink', 'known_devices'));
  assert.equal(defaultKnownDevicesPath({ PICOLINK_KNOWN_DEVICES: '/tmp/kd' }), '/tmp/kd');
  assert.equal(defaultKnownDevicesPath({ PICOLINK_KNOWN_DEVICES: ' ' }), join(homedir(), '.picolink', 'known_devices'));
});

test('a missing file knows no devices', async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await readKnownDevices(join(dir, 'none')), []);
    assert.equal(await findKnownDevice(join(dir, 'none'), '10.0.0.5:12345'), undefined);
  });
});

test('adding creates the directory and a private file, one line per device', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'nested', 'known_devices');
    const first = await addKnownDevice(path, '10.0.0.5:12345', A.replace(/:/g, '').toLowerCase());
    assert.deepEqual(first, { hostPort: '10.0.0.5:12345', fingerprint: A, line: 1 });
    const second = await addKnownDevice(path, '[::1]:4000', B);
    assert.equal(second.line, 2);
    assert.equal(await readFile(path, 'utf8'), `10.0.0.5:12345 ${A}\n[::1]:4000 ${B}\n`);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await findKnownDevice(path, '[::1]:4000'), { hostPort: '[::1]:4000', fingerprint: B, line: 2 });
  });
});

test('comments, blank and malformed lines are skipped but line numbers stay true', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'known_devices');
    await writeFile(path, `# picolink known devices\n\npico:1 not-a-fingerprint\npico:2 sha256:${B.toLowerCase()}\npico:3 ${A}`);
    assert.deepEqual(await readKnownDevices(path), [
      { hostPort: 'pico:2', fingerprint: B, line: 4 },
      { hostPort: 'pico:3', fingerprint: A, line: 5 },
    ]);
    // The hand-edited file lacks a final newline; the new entry still gets its own line.
    const added = await addKnownDevice(path, 'pico:4', A);
    assert.equal(added.line, 6);
    assert.deepEqual(await findKnownDevice(path, 'pico:4'), added);
  });
});
