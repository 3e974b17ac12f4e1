// docs/hub.md runs: its hub configurations are loaded by the hub's own loader, and its
// `curl` and `node` commands run in order against `picolink demo` (a hub with the three
// simulated devices the examples name) started on free ports, each output compared in shape
// with the block written below the command. A block that none of this covers must say why
// with `<!-- not run as written: ... -->`.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevice } from '@picolink/device';
import type { RunningDevice } from '@picolink/device';
import { loadConfig } from '@picolink/hub';
import { validateRequest } from '@picolink/protocol';
import { readDocBlocks, where } from '@picolink/test-kit/doc-blocks';
import type { DocBlock } from '@picolink/test-kit/doc-blocks';
import { startDemo } from '../../src/commands/start-demo.js';
import type { RunningDemo } from '../../src/commands/start-demo.js';
import { CLI_MAIN } from '../cli-process.js';
import { shapeProblems } from './json-shape.js';

const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const FILE = join(ROOT, 'docs', 'hub.md');
const BLOCKS = readDocBlocks(FILE);
/** The address the examples use, replaced by the demo's. */
const DOC_HTTP = '127.0.0.1:8080';
/** How long a command may take to show what its block documents (events and telemetry come every few seconds). */
const SETTLE_MS = 20_000;
/** A command that streams until stopped; the test stops it once every documented line has its counterpart. */
const STREAMS = /api\/stream/;

/** The block right below `block`, if nothing but a blank line separates them. */
function outputOf(block: DocBlock): DocBlock | undefined {
  const next = BLOCKS[BLOCKS.indexOf(block) + 1];
  const end = block.line + block.text.split('\n').length + 1;
  return next !== undefined && next.line === end + 1 && next.lang !== 'sh' && next.lang !== 'ts' ? next : undefined;
}

const COMMANDS = BLOCKS.filter((block) => block.lang === 'sh' && block.notRun === undefined && /^(curl|node) /.test(block.text));
const OUTPUTS = new Set(COMMANDS.map(outputOf).filter((block): block is DocBlock => block !== undefined));
const CONFIGS = BLOCKS.filter((block) => block.lang === 'json' && !OUTPUTS.has(block) && !block.text.includes('"type":"state_reapplied"'));
const REAPPLIED = BLOCKS.filter((block) => block.lang === 'json' && block.text.includes('"type":"state_reapplied"'));
const HUB_COMMAND = BLOCKS.filter((block) => block.lang === 'sh' && block.text.startsWith('npx picolink hub '));
const HUB_OUTPUT = BLOCKS.filter((block) => block.lang === '' && block.text.startsWith('picolink hub is running'));

test('every block of docs/hub.md is run or checked by this file or marked not run, with a reason', () => {
  const checked = new Set([...COMMANDS, ...OUTPUTS, ...CONFIGS, ...REAPPLIED, ...HUB_COMMAND, ...HUB_OUTPUT]);
  const unchecked = BLOCKS.filter((block) => block.notRun === undefined && !checked.has(block));
  assert.deepEqual(unchecked.map(where), []);
  assert.deepEqual(BLOCKS.filter((block) => block.notRun === '').map(where), []);
});

test('every hub configuration in docs/hub.md is accepted by the hub configuration loader', async () => {
  assert.ok(CONFIGS.length >= 3, 'the configuration examples are there');
  const dir = await mkdtemp(join(tmpdir(), 'picolink-hub-doc-config-'));
  try {
    for (const block of CONFIGS) {
      const file = join(dir, 'picolink.json');
      await writeFile(file, block.text);
      await assert.doesNotReject(loadConfig(file), where(block));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the state_reapplied event is what the hub records when a device it set up restarts', { timeout: 60_000 }, async () => {
  const [block] = REAPPLIED;
  assert.ok(block, 'the example is there');
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

interface Ran {
  code: number | null;
  stdout: string;
}

/** Runs a documented command with the demo's address and token, in `cwd`; a stream is stopped once `until` says so, or at the time limit. */
async function runCommand(block: DocBlock, demo: RunningDemo, cwd: string, until?: (lines: string[]) => boolean): Promise<Ran> {
  const address = demo.url.replace(/^http:\/\//, '');
  // NODE_PATH: a `node -e` one-liner finds the clone's packages from the temp directory.
  return runShell(block.text.replaceAll(DOC_HTTP, address), cwd, { TOKEN: demo.token ?? '', NODE_PATH: join(ROOT, 'node_modules') }, until);
}

/** Runs a command with `sh` (`npx picolink` is this checkout's), stopping it and its children once `until` says so. */
async function runShell(command: string, cwd: string, env: Record<string, string>, until?: (lines: string[]) => boolean): Promise<Ran> {
  const script = command.replace(/^npx picolink /gm, `node ${CLI_MAIN} `);
  const child = spawn('sh', ['-c', script], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const stop = (): void => {
    try {
      process.kill(-(child.pid as number), 'SIGTERM');
    } catch {
      // Already gone.
    }
  };
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    if (until?.(stdout.split('\n').filter((line) => line !== ''))) stop();
  });
  child.stderr.resume();
  const timer = setTimeout(stop, until ? SETTLE_MS : 15_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout };
}

/** What the command produced, in the documented output's form (JSON, JSON lines, or a file it wrote). */
async function compare(block: DocBlock, output: DocBlock | undefined, ran: Ran, cwd: string): Promise<string[]> {
  if (output === undefined) {
    if (ran.code !== 0) return [`exit code ${String(ran.code)}`];
    return ran.stdout.trim() === '' ? ['no output'] : [];
  }
  if (output.lang === 'json' && STREAMS.test(block.text)) {
    const lines = ran.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
    return output.text.split('\n').flatMap((text, i) => {
      const documented = JSON.parse(text) as Record<string, unknown>;
      const real = lines.find((line) => line.type === documented.type && line.device === documented.device);
      return real === undefined ? [`line ${i + 1}: no "${String(documented.type)}" message for ${String(documented.device)}`] : shapeProblems(documented, real, `line ${i + 1}`);
    });
  }
  if (ran.code !== 0) return [`exit code ${String(ran.code)}`];
  if (output.lang === 'json') return shapeProblems(JSON.parse(output.text), JSON.parse(ran.stdout));
  const file = / -o (\S+)/.exec(block.text)?.[1];
  const text = file === undefined ? ran.stdout : await readFile(join(cwd, file), 'utf8');
  return csvProblems(output.text, text);
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

test('the curl and node commands of docs/hub.md, run against picolink demo, print what the doc shows', { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'picolink-hub-doc-'));
  const demo = await startDemo({ port: 0, dataDir: join(dir, 'data') });
  try {
    for (const block of COMMANDS) {
      const output = outputOf(block);
      const documentedLines = output?.text.split('\n').length ?? 0;
      const deadline = Date.now() + SETTLE_MS;
      let problems: string[];
      // Data the demo makes over time (telemetry, the door's pin_change) may not be there yet: ask again.
      for (;;) {
        const until = STREAMS.test(block.text) ? (lines: string[]): boolean => compareStream(output, lines) : undefined;
        const ran = await runCommand(block, demo, dir, until);
        problems = await compare(block, output, ran, dir);
        if (problems.length === 0 || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      assert.deepEqual(problems, [], `${where(block)} (output of ${documentedLines} lines at ${output ? where(output) : 'none'})`);
    }
  } finally {
    await demo.close();
    await rm(dir, { recursive: true, force: true });
  }
});

/** True once the stream has printed a message of every type and device the documented lines show. */
function compareStream(output: DocBlock | undefined, lines: string[]): boolean {
  if (output === undefined) return lines.length > 0;
  const seen = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return output.text.split('\n').every((text) => {
    const documented = JSON.parse(text) as Record<string, unknown>;
    return seen.some((line) => line.type === documented.type && line.device === documented.device);
  });
}

/** A line of `picolink hub`'s report with its addresses, token and paths made placeholders. */
function reportShape(line: string): string {
  return line
    .replace(/https?:\/\/[\d.]+:\d+/g, 'URL')
    .replace(/[\d.]+:\d+/g, 'ADDRESS')
    .replace(/[A-Za-z0-9_-]{43}/g, 'TOKEN')
    .replace(/\/\S+/g, 'PATH')
    .trimEnd();
}

test('npx picolink hub --config picolink.json, with the documented configuration, prints the documented report', async () => {
  const [command] = HUB_COMMAND;
  const [report] = HUB_OUTPUT;
  const [config] = CONFIGS;
  assert.ok(command && report && config, 'the command, its report and the configuration are there');
  const dir = await mkdtemp(join(tmpdir(), 'picolink-hub-doc-run-'));
  try {
    // The documented configuration, kept on this machine: loopback addresses, free ports, and
    // a server-mode device address that refuses at once instead of one on a LAN.
    const documented = JSON.parse(config.text) as { http: object; devices: { address?: string }[] };
    const devices = documented.devices.map((device) => (device.address === undefined ? device : { ...device, address: 'tcp://127.0.0.1:1' }));
    const local = { ...documented, http: { ...documented.http, host: '127.0.0.1', port: 0 }, gateway: { host: '127.0.0.1', port: 0 }, telemetry: { host: '127.0.0.1', port: 0 }, devices };
    await writeFile(join(dir, 'picolink.json'), JSON.stringify(local));
    const lines = report.text.split('\n').length;
    const ran = await runShell(command.text.replace(/#.*$/, ''), dir, {}, (printed) => printed.length >= lines);
    // The report, then what to try (which the doc only describes).
    const printed = ran.stdout.split('\n').slice(0, report.text.split('\n').length);
    assert.deepEqual(printed.map(reportShape), report.text.split('\n').map(reportShape));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
