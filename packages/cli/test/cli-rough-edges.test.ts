// What a newcomer types wrong, or expects to just work, with the CLI: each case one coded
// line and the right exit code, or the output a person can read.
import { test, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { writeCertificateFiles } from '@picolink/client';
import { assertOneLineError, CLI_MAIN, runPicolink, startDeviceProcess } from './cli-process.js';
import type { BackgroundDevice } from './cli-process.js';

let device: BackgroundDevice;
let address: string;
let dir: string;

before(async () => {
  device = await startDeviceProcess();
  address = `127.0.0.1:${device.port}`;
  dir = await mkdtemp(join(tmpdir(), 'picolink-cli-edges-'));
});

after(async () => {
  assert.equal(await device.stop(), 0);
  await rm(dir, { recursive: true, force: true });
});

/** Runs picolink with a preloaded probe that counts, at exit, the hub's heavy packages loaded. */
async function heavyModulesLoaded(args: readonly string[]): Promise<number> {
  const probe = join(dir, 'probe.mjs');
  await writeFile(
    probe,
    `import { createRequire } from 'node:module';
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => process.stderr.write('heavy=' + Object.keys(cache).filter((k) => /node_modules[\\\\/](fastify|better-sqlite3)[\\\\/]/.test(k)).length + '\\n'));
`,
  );
  const { stderr } = await promisify(execFile)(process.execPath, ['--import', pathToFileURL(probe).href, CLI_MAIN, ...args], { timeout: 20_000 });
  const count = /heavy=(\d+)/.exec(stderr)?.[1];
  assert.ok(count !== undefined, stderr);
  return Number(count);
}

test('--version and send load neither fastify nor better-sqlite3 (the hub command does)', async () => {
  assert.equal(await heavyModulesLoaded(['--version']), 0);
  assert.equal(await heavyModulesLoaded(['send', address, '-c', 'action=ping']), 0);
  assert.ok((await heavyModulesLoaded(['help', 'hub'])) > 0, 'the probe sees them when they are loaded');
});

test('send -f takes a pretty-printed object; a bad NDJSON line is named; a missing file is one line', async () => {
  const pretty = join(dir, 'pretty.json');
  await writeFile(pretty, JSON.stringify({ action: 'read_pin', pin: 2 }, null, 2) + '\n');
  const ok = await runPicolink(['send', address, '-f', pretty, '--json']);
  assert.equal(ok.code, 1, 'answered (pin 2 is not set up)');
  assert.equal((JSON.parse(ok.stdout) as { code: string }).code, 'PL_ERR_PIN_NOT_SETUP');

  const lines = join(dir, 'lines.json');
  await writeFile(lines, '{"action":"ping"}\n\n{"action": ping}\n');
  const bad = await runPicolink(['send', address, '-f', lines]);
  assert.equal(bad.code, 2);
  assertOneLineError(bad.stderr, /lines\.json line 3 is not JSON/);

  const prettyBad = join(dir, 'pretty-bad.json');
  await writeFile(prettyBad, '[\n  {"action": "ping"},\n  {"action" "ping"}\n]\n');
  const badArray = await runPicolink(['send', address, '-f', prettyBad]);
  assert.equal(badArray.code, 2);
  assertOneLineError(badArray.stderr, /pretty-bad\.json line 3 is not JSON/);

  const missing = await runPicolink(['send', address, '-f', join(dir, 'nope.json')]);
  assert.equal(missing.code, 2);
  assertOneLineError(missing.stderr, /cannot read --file .*nope\.json: no such file$/m);
});

test('device with swapped PEM files exits 2 with one line; tls:// to a plain-TCP device says so in a sentence', async () => {
  const certs = join(dir, 'certs');
  const { paths } = await writeCertificateFiles(certs, { commonName: 'edge' });
  const swapped = await runPicolink(['device', '--sim', '--host', '127.0.0.1', '--port', '0', '--tls-cert', paths.keyPem, '--tls-key', paths.certPem]);
  assert.equal(swapped.code, 2);
  assertOneLineError(swapped.stderr, /--tls-cert .*device-key\.pem holds a private key and --tls-key .*device-cert\.pem a certificate; swap them/);

  const tls = await runPicolink(['send', `tls://${address}`, '-c', 'action=ping']);
  assert.equal(tls.code, 3);
  assertOneLineError(tls.stderr, new RegExp(`${address} answered without TLS: it serves plain TCP on this port; use tcp://${address}`));
  assert.doesNotMatch(tls.stderr, /wrong version number|ssl3_get_record/);
});

test('certs warns that the key is private and keeps it out of git; its refusal names --force', async () => {
  const out = join(dir, 'keys');
  const first = await runPicolink(['certs', out]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /device-key\.pem and device-key\.der are the device's private key: .*keep them out of version control/);
  assert.match(await readFile(join(out, '.gitignore'), 'utf8'), /^\*-key\.\*$/m);
  const again = await runPicolink(['certs', out]);
  assert.equal(again.code, 2);
  assertOneLineError(again.stderr, /already exists; .*\(pass --force to do so\)$/m);
  const forced = await runPicolink(['certs', out, '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal((await readFile(join(out, '.gitignore'), 'utf8')).match(/\*-key\.\*/g)?.length, 1, 'the pattern is written once');
});

test('get_info prints as a key/value list, long values folded', async () => {
  const result = await runPicolink(['send', address, '-c', 'action=get_info', '-c', 'action=ping']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^1 +get_info +ok$/m);
  assert.match(result.stdout, /^ +mem_free +\d+$/m);
  assert.match(result.stdout, /^ +board +"Raspberry Pi Pico W \(simulated\)"$/m);
  assert.match(result.stdout, /^2 +ping +ok$/m);
  for (const line of result.stdout.split('\n')) assert.ok(line.length <= 100, `a line of ${line.length} characters: ${line}`);
});

test('agent bundle checks the WPA password length and takes --open for an open network', async () => {
  const bundle = (out: string, ...wifi: string[]): ReturnType<typeof runPicolink> =>
    runPicolink(['agent', 'bundle', join(dir, out), '--ssid', 'cafe', '--device-id', 'pico-wifi', ...wifi]);
  for (const password of ['five5', 'x'.repeat(64)]) {
    const short = await bundle('bad', '--password', password);
    assert.equal(short.code, 2);
    assertOneLineError(short.stderr, new RegExp(`--password must be 8 to 63 characters for WPA/WPA2, got ${password.length}`));
  }
  const both = await bundle('both', '--open', '--password', 'long-enough');
  assert.equal(both.code, 2);
  assertOneLineError(both.stderr, /--open is for a network without a password/);
  const none = await bundle('none');
  assert.equal(none.code, 2);
  assertOneLineError(none.stderr, /--password is required \(or --open for a network without one/);

  const open = await bundle('open', '--open');
  assert.equal(open.code, 0, open.stderr);
  const config = JSON.parse(await readFile(join(dir, 'open', 'config.json'), 'utf8')) as { ssid: string; pwd: string };
  assert.deepEqual([config.ssid, config.pwd], ['cafe', '']);
});
