import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AGENT_DIR, agentFiles } from '@picolink/agent';
import { connect, normalizeFingerprint } from '@picolink/client';
import type { BundleResult } from './agent-bundle-files.js';
import { tempDir, useLoopback } from './agent-bundle-files.js';
import { runPicolink } from './cli-process.js';

test('agent bundle writes the agent, its config and a DER certificate whose fingerprint it prints', async (t) => {
  const dir = join(await tempDir(t), 'pico');
  const result = await runPicolink([
    'agent', 'bundle', dir, '--ssid', 'lab', '--password', 'p4ssw0rd', '--device-id', 'pico-1',
    '--tls', '--telemetry', '192.168.1.10:9932', '--port', '12346', '--json',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const bundle = JSON.parse(result.stdout) as BundleResult;
  assert.deepEqual(bundle.files, [...agentFiles(), 'config.json', 'device-cert.der', 'device-key.der']);
  assert.deepEqual(bundle.compiled, [], 'without --compile every module ships as source');
  for (const file of agentFiles()) {
    assert.equal(await readFile(join(dir, file), 'utf8'), await readFile(join(AGENT_DIR, file), 'utf8'), `${file} is the agent's`);
  }
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(config, {
    ssid: 'lab',
    pwd: 'p4ssw0rd',
    device_id: 'pico-1',
    port: 12346,
    tls_cert: 'device-cert.der',
    tls_key: 'device-key.der',
    token: bundle.token,
    telemetry: { target: '192.168.1.10:9932', interval_ms: 5000, sensors: ['temp_c'], key: bundle.telemetry_key, ack: false },
  });
  assert.match(bundle.token, /^[0-9a-f]{32}$/);
  assert.match(bundle.telemetry_key ?? '', /^[0-9a-f]{64}$/);
  const der = await readFile(join(dir, 'device-cert.der'));
  assert.equal(normalizeFingerprint(createHash('sha256').update(der).digest('hex')), bundle.fingerprint);
  assert.equal((await stat(join(dir, 'device-key.der'))).mode & 0o077, 0, 'the key is readable by its owner only');
  assert.equal((await stat(join(dir, 'config.json'))).mode & 0o077, 0, 'so is the WiFi password');
  assert.match(bundle.copy, /mpremote cp -r main\.py picolink config\.json device-cert\.der device-key\.der : && mpremote reset$/);

  const again = await runPicolink(['agent', 'bundle', dir, '--ssid', 'lab', '--password', 'password', '--device-id', 'pico-1']);
  assert.equal(again.code, 2, 'refuses to overwrite without --force');
  assert.match(again.stderr, /already exists; pass --force/);
  const forced = await runPicolink(['agent', 'bundle', dir, '--ssid', 'lab', '--password', 'password', '--device-id', 'pico-1', '--force', '--hub', 'hub.local', '--token', 't0k']);
  assert.equal(forced.code, 0, forced.stderr);
  const hubConfig = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual([hubConfig.hub, hubConfig.hub_tls, hubConfig.hub_fingerprint, hubConfig.token], ['hub.local', false, '', 't0k']);
  assert.match(forced.stdout, /dials home to hub\.local with token t0k/);
  assert.match(forced.stdout, /mpremote cp -r main\.py picolink config\.json : && mpremote reset/);
  assert.match(forced.stdout, /Thonny/);

  const listed = await runPicolink(['agent', 'bundle', dir, '--ssid', 'lab', '--password', 'password', '--device-id', 'pico-1', '--force', '--hub', 'hub-a.local,hub-b.local:12500', '--hub', 'hub-c.local', '--token', 't0k']);
  assert.equal(listed.code, 0, listed.stderr);
  const listConfig = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(listConfig.hub, ['hub-a.local', 'hub-b.local:12500', 'hub-c.local'], 'hubs to try in order, as the agent reads them');
  assert.match(listed.stdout, /dials home to the first hub that answers of hub-a\.local, hub-b\.local:12500, hub-c\.local with token t0k; configure both on the hubs/);
});

test('agent bundle: usage errors exit 2 with one line', async (t) => {
  const dir = await tempDir(t);
  const cases: [string[], RegExp][] = [
    [['agent'], /picolink agent bundle OUTDIR/],
    [['agent', 'flash', dir], /unknown agent command "flash"/],
    [['agent', 'bundle', dir, '--password', 'password', '--device-id', 'x'], /--ssid is required/],
    [['agent', 'bundle', dir, '--ssid', 's', '--password', 'password', '--device-id', 'no spaces'], /--device-id must be/],
    [['agent', 'bundle', dir, '--ssid', 's', '--password', 'password', '--device-id', 'x', '--telemetry', 'host'], /--telemetry must be HOST:PORT/],
    [['agent', 'bundle', dir, '--ssid', 's', '--password', 'password', '--device-id', 'x', '--hub-fingerprint', 'AB'], /--hub-fingerprint needs --hub/],
    [['agent', 'bundle', dir, '--ssid', 's', '--password', 'password', '--device-id', 'x', '--hub', 'h', '--hub-fingerprint', 'AB'], /must be a SHA-256 fingerprint/],
    [['agent', 'bundle', dir, '--ssid', 's', '--password', 'password', '--device-id', 'x', '--hub', 'h1,bad host'], /--hub must be HOST or HOST:PORT \(several: .*got "bad host"/],
    [['agent', 'bundle', dir, '--ssid', 's', '--password', 'password', '--device-id', 'x', '--mpy-cross', '/usr/bin/mpy-cross'], /--mpy-cross needs --compile/],
  ];
  for (const [args, pattern] of cases) {
    const result = await runPicolink(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, pattern);
  }
  assert.deepEqual(await readdir(dir), [], 'nothing written');
  const help = await runPicolink(['help', 'agent']);
  assert.match(help.stdout, /^Usage: picolink agent bundle/);
});

test('a bundle boots (CPython with the test shims) and serves TLS with the printed fingerprint', async (t) => {
  const dir = await tempDir(t);
  const made = await runPicolink(['agent', 'bundle', dir, '--ssid', 'lab', '--password', 'password', '--device-id', 'pico-2', '--tls', '--json']);
  assert.equal(made.code, 0, made.stderr);
  const { fingerprint } = JSON.parse(made.stdout) as BundleResult;
  await useLoopback(dir, 0);
  const child = spawn(process.env.PYTHON ?? 'python3', ['-u', '-B', join(AGENT_DIR, 'test', 'python', 'run_agent.py'), dir], { cwd: dir });
  t.after(() => child.kill('SIGKILL'));
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent did not start:\n${output}`)), 15_000);
    createInterface({ input: child.stderr }).on('line', (line) => (output += line + '\n'));
    createInterface({ input: child.stdout }).on('line', (line) => {
      output += line + '\n';
      const match = /^picolink: listening on 127\.0\.0\.1:(\d+) \(TLS, device pico-2\)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  const device = await connect(`tls://127.0.0.1:${port}`, { fingerprint, timeoutMs: 5000 });
  t.after(() => device.close());
  assert.equal(((await device.info()) as { deviceId?: string }).deviceId, 'pico-2');
  assert.ok(device.capabilities.includes('tls'));
});
