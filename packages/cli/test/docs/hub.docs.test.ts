// docs/hub.md runs: its hub configurations are loaded by the hub's own loader; its `curl`
// and `node` commands run in order against `picolink demo` (a hub with the three simulated
// devices the examples name) on free ports, each output compared in shape with the block
// written below it; its hub:// program is compiled and run through that hub; `picolink hub
// --config` prints the documented report; and the state_reapplied example is what the hub
// records when a device comes back. A block none of this covers must say why with
// `<!-- not run as written: ... -->` (the last test fails otherwise).
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevice } from '@picolink/device';
import type { RunningDevice } from '@picolink/device';
import { loadConfig } from '@picolink/hub';
import { validateRequest } from '@picolink/protocol';
import { freePort } from '@picolink/test-kit/free-port';
import { startDemo } from '../../src/commands/start-demo.js';
import { shapeProblems } from './json-shape.js';
import { DocRunner, REPO_ROOT, startDemoHub, where } from './runner.js';
import type { DemoHub, DocBlock } from './runner.js';

const docs = new DocRunner('docs/hub.md');
let hub: DemoHub;
before(async () => {
  hub = await startDemoHub(docs);
});
after(() => docs.close());

/** How long a command may take to show what its block documents (telemetry and the door's events come every few seconds). */
const SETTLE_MS = 20_000;
/** A command that streams until stopped; it is stopped once every documented line has its counterpart. */
const STREAMS = /api\/stream/;
/** What the commands need: the demo's token as $TOKEN, and for a `node -e` one-liner, the clone's packages. */
const env = (): NodeJS.ProcessEnv => ({ TOKEN: hub.token, NODE_PATH: join(REPO_ROOT, 'node_modules') });

/** The block right below `block`, if nothing but a blank line separates them: its documented output. */
function outputOf(block: DocBlock): DocBlock | undefined {
  const next = docs.blocks[docs.blocks.indexOf(block) + 1];
  const end = block.line + block.text.split('\n').length + 1;
  return next !== undefined && next.line === end + 1 && next.notRun === undefined && next.lang !== 'sh' && next.lang !== 'ts' ? next : undefined;
}

/** Commands that run to their end against the demo: curl (its answer possibly kept in a variable) and node one-liners. */
const COMMANDS = docs.blocks.filter((block) => block.lang === 'sh' && block.notRun === undefined && /^(\w+=\$\()?(curl|node) /.test(block.text) && !block.text.includes('npx picolink'));
const OUTPUTS = new Set(COMMANDS.map(outputOf).filter((block): block is DocBlock => block !== undefined));
const isReapplied = (block: DocBlock): boolean => block.text.includes('"type":"state_reapplied"');
const CONFIGS = docs.blocks.filter((block) => block.lang === 'json' && block.notRun === undefined && !OUTPUTS.has(block) && !isReapplied(block));

test('every hub configuration in docs/hub.md is accepted by the hub configuration loader', async () => {
  assert.ok(CONFIGS.length >= 3, 'the configuration examples are there');
  const dir = await mkdtemp(join(tmpdir(), 'picolink-hub-doc-config-'));
  try {
    for (const block of CONFIGS) {
      const file = join(dir, 'picolink.json');
      await writeFile(file, block.text);
      await assert.doesNotReject(loadConfig(file), where(block));
      docs.claim(block);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('npx picolink hub --config picolink.json, with the documented configuration, prints the documented report', async () => {
  const command = docs.take('npx picolink hub --config picolink.json', 'sh');
  const report = docs.take('picolink hub is running', '');
  const [config] = CONFIGS;
  assert.ok(config, 'the configuration example is there');
  // The documented configuration, kept on this machine: loopback addresses, free ports, and
  // a server-mode device address that refuses at once instead of one on a LAN. In a
  // directory of its own, so its data directory is new, as the report says.
  const documented = JSON.parse(config.text) as { http: object; devices: { address?: string }[] };
  const devices = documented.devices.map((device) => (device.address === undefined ? device : { ...device, address: 'tcp://127.0.0.1:1' }));
  const local = { ...documented, http: { ...documented.http, host: '127.0.0.1', port: 0 }, gateway: { host: '127.0.0.1', port: 0 }, telemetry: { host: '127.0.0.1', port: 0 }, devices };
  mkdirSync(join(docs.cwd, 'hub-run'));
  writeFileSync(join(docs.cwd, 'hub-run', 'picolink.json'), JSON.stringify(local));
  const run = docs.background(`cd hub-run\n${command.text.replace(/#.*$/, '')}`);
  await run.waitFor(/^\s*data\s+\S+$/m);
  await run.stop();
  // The report, then what to try (which the doc only describes).
  docs.checkOutput(report, run.stdout(), { prefix: true, volatile: [/^https?:\/\/[\d.]+:\d+(\/#token=[\w-]+)?$/, /^[\d.]+:\d+$/, /^\/\S*picolink-data$/] });
});

/** What the command produced, in the documented output's form (JSON, JSON lines of a stream, or a CSV file it wrote). */
function compare(block: DocBlock, output: DocBlock | undefined, code: number | null, stdout: string): string[] {
  if (output === undefined) {
    if (code !== 0) return [`exit code ${String(code)}`];
    return stdout.trim() === '' ? ['no output'] : [];
  }
  if (STREAMS.test(block.text)) {
    const lines = stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
    return output.text.split('\n').flatMap((text, i) => {
      const documented = JSON.parse(text) as Record<string, unknown>;
      const real = lines.find((line) => line.type === documented.type && line.device === documented.device);
      return real === undefined ? [`line ${i + 1}: no "${String(documented.type)}" message for ${String(documented.device)}`] : shapeProblems(documented, real, `line ${i + 1}`);
    });
  }
  if (code !== 0) return [`exit code ${String(code)}`];
  if (output.lang === 'json') return shapeProblems(JSON.parse(output.text), JSON.parse(stdout));
  const file = / -o (\S+)/.exec(block.text)?.[1];
  return csvProblems(output.text, file === undefined ? stdout : readFileSync(join(docs.cwd, file), 'utf8'));
}

/** The documented CSV's header is the file's, and each row has as many fields of the same kinds. */
function csvProblems(documented: string, actual: string): string[] {
  const [header, ...rows] = documented.split('\n');
  const real = actual.split('\r\n').filter((line) => line !== '');
  if (real[0] !== header) return [`header: documented ${String(header)}, got ${String(real[0])}`];
  if (real.length < 2) return ['no rows'];
  const kinds = (line: string): string => line.split(',').map((field) => (field !== '' && Number.isFinite(Number(field)) ? 'number' : 'text')).join(',');
  return rows.filter((row) => kinds(row) !== kinds(real[1] as string)).map((row) => `row ${row}: fields unlike ${String(real[1])}`);
}

/** Runs one command; a stream runs until it has printed a message of every type and device its output shows. */
async function run(block: DocBlock, output: DocBlock | undefined): Promise<{ code: number | null; stdout: string }> {
  if (!STREAMS.test(block.text)) return docs.sh(block, { env: env() });
  const stream = docs.background(block, { env: env() });
  const wanted = (output?.text.split('\n') ?? []).map((text) => JSON.parse(text) as Record<string, unknown>);
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const seen = stream.stdout().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    if (wanted.every((w) => seen.some((line) => line.type === w.type && line.device === w.device)) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stream.stop();
  return { code: 0, stdout: stream.stdout() };
}

test('the curl and node commands of docs/hub.md, run against picolink demo, print what the doc shows', { timeout: 180_000 }, async () => {
  for (const block of COMMANDS) {
    docs.claim(block);
    const output = outputOf(block);
    if (output !== undefined) docs.claim(output);
    const deadline = Date.now() + SETTLE_MS;
    let problems: string[];
    // Data the demo makes over time (telemetry, the door's pin_change) may not be there yet: ask again.
    for (;;) {
      const ran = await run(block, output);
      problems = compare(block, output, ran.code, ran.stdout);
      if (problems.length === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    assert.deepEqual(problems, [], `${where(block)}, output at ${output ? where(output) : 'none'}`);
  }
});

/** GET on the demo's API with its token. */
async function api(path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${hub.httpPort}${path}`, { headers: { authorization: `Bearer ${hub.token}` } });
  return { status: response.status, body: await response.json() };
}

test('a device added through the API comes online with the token the answer carries', { timeout: 60_000 }, async () => {
  const block = docs.take('"id":"pico-3"', 'sh');
  const device = docs.background(block, { env: env() });
  const deadline = Date.now() + 20_000;
  let online = false;
  while (!online && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { status, body } = await api('/api/devices/pico-3');
    online = status === 200 && (body as { device: { online: boolean } }).device.online;
  }
  await device.stop();
  assert.ok(online, `pico-3 online; device stderr: ${device.stderr()}`);
});

test('HTTPS: picolink certs makes the pair, and the hub with the documented configuration answers over HTTPS under the certificate\'s name', { timeout: 60_000 }, async () => {
  await docs.shOk(docs.take('npx picolink certs ./hub-cert', 'sh'));
  const block = CONFIGS.find((config) => config.text.includes('"tls"'));
  assert.ok(block, 'the HTTPS configuration is there');
  // As documented, on loopback and free ports, with a data directory of its own.
  const documented = JSON.parse(block.text) as { http: object };
  const loopback = { host: '127.0.0.1', port: 0 };
  const local = { ...documented, dataDir: './tls-data', http: { ...documented.http, ...loopback }, gateway: loopback, telemetry: loopback };
  writeFileSync(join(docs.cwd, 'hub-tls.json'), JSON.stringify(local));
  const run = docs.background('npx picolink hub --config hub-tls.json');
  try {
    const port = (await run.waitFor(/API\s+https:\/\/127\.0\.0\.1:(\d+)/))[1] as string;
    const health = await docs.sh(`curl --silent --show-error --fail --cacert hub-cert/device-cert.pem --resolve pico-hub.local:${port}:127.0.0.1 https://pico-hub.local:${port}/api/health`);
    assert.equal(health.code, 0, health.stderr);
    assert.equal((JSON.parse(health.stdout) as { ok: boolean }).ok, true);
  } finally {
    await run.stop();
  }
});

test('the gateway composed by hand, with the server-mode links and the shutdown after it, compiles, runs and ends', { timeout: 60_000 }, async () => {
  const gateway = docs.take('startGateway({ listener', 'ts');
  const links = docs.take('startServerLinks(', 'ts');
  const shutdown = docs.take('await store.close()', 'ts');
  // Its own runner: the gateway's documented port becomes a free one (the demo's is taken),
  // on loopback, and ./picolink-data is in a directory of its own.
  const composed = new DocRunner('docs/hub.md');
  try {
    composed.mapPort(12400, await freePort());
    composed.substitute("'0.0.0.0'", "'127.0.0.1'");
    const [program] = await composed.compileTs([{ ...gateway, text: [gateway, links, shutdown].map((block) => block.text).join('\n') }]);
    assert.ok(program);
    const run = composed.runTs(program);
    const timer = setTimeout(() => void run.stop(), 20_000);
    const code = await run.exited;
    clearTimeout(timer);
    assert.equal(code, 0, `it ends by itself; stderr: ${run.stderr()}`);
  } finally {
    await composed.close();
  }
});

test('the hub:// program compiles and runs through the demo hub', { timeout: 60_000 }, async () => {
  const [program] = await docs.compileTs([docs.take("connect('hub://", 'ts')]);
  assert.ok(program);
  const ran = docs.runTs(program, { env: { PICOLINK_TOKEN: hub.token } });
  assert.equal(await ran.exited, 0, ran.stderr());
});

test('the state_reapplied event is what the hub records when a device it set up restarts', { timeout: 60_000 }, async () => {
  const block = docs.take('"type":"state_reapplied"', 'json');
  type Reapplied = { data: { steps: { pin: number | string; action: string; request: Record<string, unknown> }[]; expiredLeases: number[] } };
  const documented = JSON.parse(block.text) as Reapplied;
  for (const step of documented.data.steps) assert.doesNotThrow(() => validateRequest({ action: step.action, ...step.request }), `${where(block)}: ${JSON.stringify(step)}`);
  const dir = await mkdtemp(join(tmpdir(), 'picolink-hub-doc-state-'));
  const demo = await startDemo({ port: 0, dataDir: join(dir, 'data') });
  let restarted: RunningDevice | undefined;
  try {
    const kitchen = demo.fleet?.kitchen;
    assert.ok(kitchen, 'the demo runs pico-kitchen in server mode');
    const api = async (path: string, body?: unknown): Promise<unknown> => {
      const headers: Record<string, string> = { authorization: `Bearer ${demo.token ?? ''}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${demo.url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return response.json();
    };
    // What the example says was remembered: pin 2 an output at 1 (safe 0), pin 3 under a
    // lease with time left, pin 6 under a lease that ends before the device comes back.
    const commands = [
      { action: 'setup_pin', pin: 2, mode: 'output', value: 0, safe: 0 },
      { action: 'write_pin', pin: 2, value: 1 },
      { action: 'setup_pin', pin: 3, mode: 'output', value: 0 },
      { action: 'write_pin', pin: 3, value: 1, timeout: 60 },
      { action: 'setup_pin', pin: 6, mode: 'output', value: 0 },
      { action: 'write_pin', pin: 6, value: 1, timeout: 0.2 },
    ];
    const answers = (await api('/api/devices/pico-kitchen/commands', commands)) as { ok: boolean }[];
    assert.deepEqual(answers.map((answer) => answer.ok), commands.map(() => true));
    await new Promise((resolve) => setTimeout(resolve, 400));
    const port = kitchen.port;
    await kitchen.close();
    restarted = await startDevice({ host: '127.0.0.1', port, deviceId: 'pico-kitchen', log: () => {} });
    const deadline = Date.now() + 20_000;
    let events: unknown[] = [];
    while (events.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      events = ((await api('/api/devices/pico-kitchen/events?type=state_reapplied')) as { events: unknown[] }).events;
    }
    assert.equal(events.length, 1, 'one state_reapplied event once the device is back');
    // The demo's own LED is re-applied too; the example shows the pins set above.
    const real = events[0] as Reapplied;
    const pins = new Set(documented.data.steps.map((step) => step.pin));
    real.data.steps = real.data.steps.filter((step) => pins.has(step.pin));
    assert.deepEqual(shapeProblems({ ...documented, deviceId: 'pico-kitchen' }, real), []);
    assert.deepEqual(real.data.steps.map((step) => [step.pin, step.action]), documented.data.steps.map((step) => [step.pin, step.action]), 'the steps, pin by pin');
    assert.deepEqual(real.data.expiredLeases, documented.data.expiredLeases);
  } finally {
    await restarted?.close();
    await demo.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('every block of docs/hub.md is run or checked by this file, or marked not run with a reason', () => {
  docs.assertAllCovered();
  assert.deepEqual(docs.blocks.filter((block) => block.notRun === '').map(where), []);
});
