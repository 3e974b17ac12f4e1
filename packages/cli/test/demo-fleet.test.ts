/**
 * `picolink demo --devices N` and `startDemo`: a crowd of simulated devices dialling home
 * (pico-001 …) that the hub sees online with telemetry, the sign-in link in the output,
 * and the bounds of --devices.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemo } from '../src/commands/start-demo.js';
import { startPicolink } from './background-process.js';
import { runPicolink } from './cli-process.js';

async function withDataDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'picolink-cli-demo-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('startDemo with 12 devices: pico-001 … pico-012 online through the gateway, with signed telemetry accepted', async () => {
  await withDataDir(async (dir) => {
    const demo = await startDemo({ devices: 12, port: 0, dataDir: dir });
    try {
      const ids = Array.from({ length: 12 }, (_, i) => `pico-${String(i + 1).padStart(3, '0')}`);
      assert.deepEqual(demo.deviceIds, ids);
      assert.equal(demo.signInLink, `${demo.url}/#token=${demo.token}`);
      const response = await fetch(`${demo.url}/api/devices`, { headers: { authorization: `Bearer ${demo.token}` } });
      const { devices } = (await response.json()) as { devices: Array<{ id: string; online: boolean; mode: string }> };
      assert.deepEqual(
        devices.map((d) => [d.id, d.online, d.mode]),
        ids.map((id) => [id, true, 'dial-home']),
      );
      // Each device's first reading comes within one interval (5 s), spread over it.
      const deadline = Date.now() + 8000;
      while (ids.some((id) => (demo.hub.telemetry.stats(id)?.accepted ?? 0) < 1) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      for (const id of ids) {
        const stats = demo.hub.telemetry.stats(id);
        assert.ok((stats?.accepted ?? 0) >= 1, `${id}: ${JSON.stringify(stats)}`);
        assert.deepEqual(stats?.rejected, {}, `${id} telemetry is signed with its key`);
      }
    } finally {
      await demo.close();
    }
  });
});

test('picolink demo --devices 5 --json prints the sign-in link and the count; the text output names the range', async () => {
  await withDataDir(async (dir) => {
    const json = startPicolink(['demo', '--port', '0', '--devices', '5', '--json', '--data-dir', dir]);
    try {
      const [line = ''] = await json.waitFor(/^\{.*\}\n/);
      const info = JSON.parse(line) as { url: string; dashboard: string; token: string; devices: number };
      assert.equal(info.devices, 5);
      assert.equal(info.dashboard, `${info.url}/#token=${info.token}`);
    } finally {
      assert.equal(await json.stop(), 0, json.stderr());
    }
    const text = startPicolink(['demo', '--port', '0', '--devices', '5', '--data-dir', dir]);
    try {
      await text.waitFor(/Ctrl-C/);
      assert.match(text.stdout(), /^picolink demo: a hub with 5 simulated Pico Ws$/m);
      assert.match(text.stdout(), /^ {2}dashboard +http:\/\/127\.0\.0\.1:\d+\/#token=\S+ /m);
      assert.match(text.stdout(), /^ {2}pico-001 … pico-005 +dial home to the gateway \(5 online now\)/m);
    } finally {
      assert.equal(await text.stop(), 0, text.stderr());
    }
  });
});

test('picolink demo refuses --devices outside 1..2000 with exit code 2', async () => {
  for (const count of ['0', '2001', 'many']) {
    const result = await runPicolink(['demo', '--port', '0', '--devices', count]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--devices must be a whole number from 1 to 2000/);
  }
});
