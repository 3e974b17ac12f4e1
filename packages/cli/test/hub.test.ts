/** `picolink hub` as a person runs it: a child process on free ports with a temp data directory. */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCertificateFiles } from '@picolink/client';
import { startPicolink } from './background-process.js';
import { runPicolink } from './cli-process.js';

const FREE_PORTS = ['--http-port', '0', '--gateway-port', '0', '--telemetry-port', '0'];

async function withDataDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'picolink-cli-hub-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('picolink hub prints its URL and token, answers the API, and keeps the token for the next start', async () => {
  await withDataDir(async (dir) => {
    const hub = startPicolink(['hub', '--data-dir', dir, ...FREE_PORTS]);
    let token: string;
    try {
      const [, url = '', printed = ''] = await hub.waitFor(/API +(http:\/\/127\.0\.0\.1:\d+)\n +token +(\S+) +\(new; kept in (?:.*)\)\n/);
      token = printed;
      assert.match(hub.stdout(), new RegExp(`^  dashboard +${url}/#token=${token} +\\(open it in a browser to sign in\\)$`, 'm'), 'the sign-in link');
      assert.match(hub.stdout(), /gateway +0\.0\.0\.0:\d+/);
      assert.match(hub.stdout(), /telemetry +0\.0\.0\.0:\d+ \(UDP\)/);
      assert.match(hub.stdout(), new RegExp(`curl -H "Authorization: Bearer ${token}" ${url}/api/devices`));
      assert.match(hub.stdout(), /Ctrl-C/);
      const devices = await fetch(`${url}/api/devices`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(devices.status, 200);
      assert.deepEqual(await devices.json(), { devices: [] });
      const refused = await fetch(`${url}/api/devices`);
      assert.equal(refused.status, 401);
      assert.equal(((await refused.json()) as { code: string }).code, 'PL_ERR_UNAUTHORIZED');
      assert.equal((await stat(join(dir, 'api-token'))).mode & 0o777, 0o600);
      assert.ok((await stat(join(dir, 'picolink.db'))).isFile());
    } finally {
      assert.equal(await hub.stop(), 0, hub.stderr());
    }
    const again = startPicolink(['hub', '--data-dir', dir, ...FREE_PORTS, '--json']);
    try {
      const [line = ''] = await again.waitFor(/^\{.*\}\n/);
      const info = JSON.parse(line) as { url: string; dashboard: string; token: string; gatewayPort: number; telemetryPort: number; dataDir: string };
      assert.equal(info.token, token, 'the token is reused');
      assert.equal(info.dashboard, `${info.url}/#token=${token}`);
      assert.ok(info.gatewayPort > 0 && info.telemetryPort > 0);
      assert.equal(info.dataDir, dir);
      const health = await fetch(`${info.url}/api/health`);
      assert.equal(health.status, 200);
    } finally {
      assert.equal(await again.stop(), 0, again.stderr());
    }
  });
});

test('picolink hub refuses auth off on a network address, and a bad configuration, with exit code 2', async () => {
  await withDataDir(async (dir) => {
    const open = await runPicolink(['hub', '--data-dir', dir, ...FREE_PORTS, '--http-host', '0.0.0.0', '--no-auth']);
    assert.equal(open.code, 2, open.stderr);
    assert.match(open.stderr, /^picolink: .*"http\.auth" is false but "http\.host" is 0\.0\.0\.0.*loopback/);
    assert.equal(open.stderr.trim().split('\n').length, 1);
    const config = join(dir, 'picolink.json');
    await writeFile(config, JSON.stringify({ http: { port: 'eighty' } }));
    const bad = await runPicolink(['hub', '--config', config]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^picolink: hub configuration: "http\.port" must be a whole number/);
    const missing = await runPicolink(['hub', '--config', join(dir, 'nope.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read hub configuration .*nope\.json: ENOENT/);
  });
});

test('picolink hub --config reads devices and ports from the file; flags override it', async () => {
  await withDataDir(async (dir) => {
    const config = join(dir, 'picolink.json');
    await writeFile(config, JSON.stringify({ dataDir: join(dir, 'data'), http: { port: 0 }, gateway: { port: 0 }, telemetry: { port: 0 }, devices: [{ id: 'pico-1', token: 'secret' }] }));
    const hub = startPicolink(['hub', '--config', config, '--no-auth', '--json']);
    try {
      const [line = ''] = await hub.waitFor(/^\{.*\}\n/);
      const info = JSON.parse(line) as { url: string; token: string | null; dataDir: string };
      assert.equal(info.token, null);
      assert.equal(info.dataDir, join(dir, 'data'));
      const body = (await (await fetch(`${info.url}/api/devices`)).json()) as { devices: Array<{ id: string; online: boolean; configured: boolean }> };
      assert.deepEqual(
        body.devices.map((d) => [d.id, d.online, d.configured]),
        [['pico-1', false, true]],
      );
    } finally {
      assert.equal(await hub.stop(), 0, hub.stderr());
    }
  });
});

test('picolink hub with http.tls prints https links, the sign-in link included', async () => {
  await withDataDir(async (dir) => {
    const files = await writeCertificateFiles(join(dir, 'cert'), { commonName: 'picolink-hub', hosts: ['127.0.0.1'] });
    const config = join(dir, 'picolink.json');
    await writeFile(config, JSON.stringify({ dataDir: join(dir, 'data'), http: { port: 0, tls: { cert: files.paths.certPem, key: files.paths.keyPem } }, gateway: { port: 0 }, telemetry: { port: 0 } }));
    const hub = startPicolink(['hub', '--config', config]);
    try {
      const [, link = '', url = ''] = await hub.waitFor(/dashboard +(\S+) .*\n +API +(\S+)\n/);
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(link.startsWith(`${url}/#token=`), link);
      assert.match(hub.stdout(), new RegExp(`curl --cacert ${files.paths.certPem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} -H "Authorization: Bearer \\S+" ${url}/api/devices`));
    } finally {
      assert.equal(await hub.stop(), 0, hub.stderr());
    }
  });
});
