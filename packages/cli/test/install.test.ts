/**
 * The packages install and run outside this checkout, as README.md "Install" says: the
 * README's own `mkdir` and `npm pack` lines pack every published workspace into a temporary
 * directory, its `npm install` line installs the tarballs into an empty project in the OS
 * temp directory, and from there the installed `picolink --version`, `picolink demo --port 0`
 * (its API answers with the token it prints, its dashboard page is served) and a TypeScript
 * program that imports `@picolink/client` (compiled strictly against the installed types)
 * and drives the installed `picolink device --sim` all run.
 *
 * npm uses its cache first (`--prefer-offline`, no audit, no fund); better-sqlite3 compiles
 * from source where no prebuilt binary downloads, which is most of this test's time: about
 * 100 s of CPU in all; 165 s of wall time on 2 cores shared with other builds (the install
 * 146 s of it), 76 s for the install alone on a quieter machine. Needs `npm run build` first,
 * dashboard included (`npm test` does it), so the hub's tarball carries the page.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { readDocBlocks } from '@picolink/test-kit/doc-blocks';
import type { DocBlock } from '@picolink/test-kit/doc-blocks';
import { startPicolink } from './background-process.js';
import type { BackgroundPicolink } from './background-process.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const README = join(REPO, 'README.md');
/** The directory README.md packs into; the test substitutes its own. */
const README_PACK_DIR = '/tmp/picolink-packages';
/** The checkout's TypeScript compiler, standing in for the one a project of its own would have. */
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
/** Packing and installing (a native module compiled from source) on a slow, shared machine. */
const INSTALL_TIMEOUT_MS = 8 * 60_000;

const run = promisify(execFile);
const { version: VERSION } = JSON.parse(readFileSync(join(REPO, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string };

/** The environment of a person's shell: none of the `npm_*` variables `npm test` sets (its prefix is this checkout). */
function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
}

/** The shell blocks of README.md's "Install" section. */
function installBlocks(): DocBlock[] {
  const lines = readFileSync(README, 'utf8').split('\n');
  const start = lines.indexOf('## Install') + 1;
  assert.ok(start > 0, 'README.md has an "## Install" section');
  const next = lines.findIndex((line, i) => i >= start && line.startsWith('## '));
  const end = next === -1 ? lines.length : next + 1;
  return readDocBlocks(README).filter((block) => block.line > start && block.line < end && block.lang === 'sh');
}

/** The README's command lines that start with `prefix`, its pack directory replaced by `dir`. */
function readmeCommands(prefix: string, dir: string): string[] {
  return installBlocks()
    .flatMap((block) => block.text.split('\n'))
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.replaceAll(README_PACK_DIR, dir));
}

/** Workspaces that are not private: the ones a person installs. */
function publishedWorkspaces(): string[] {
  const root = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { workspaces: string[] };
  return root.workspaces.filter((dir) => {
    const manifest = JSON.parse(readFileSync(join(REPO, dir, 'package.json'), 'utf8')) as { private?: boolean };
    return manifest.private !== true;
  });
}

/** Runs one README command line through the shell; its output goes into the failure message. */
async function sh(command: string, cwd: string): Promise<string> {
  try {
    const { stdout } = await run('sh', ['-c', command], { cwd, env: userEnv(), timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`\`${command}\` failed in ${cwd}: ${String(error)}\n${stdout}\n${stderr}`);
  }
}

/** Starts the installed `picolink` in `cwd`, as `npx picolink` there would. */
function startInstalled(cwd: string, args: readonly string[]): BackgroundPicolink {
  return startPicolink(args, { executable: join(cwd, 'node_modules', '.bin', 'picolink'), cwd, env: userEnv() });
}

let work = '';
let project = '';
/** How long packing and installing took, for the test's output. */
const seconds = { pack: 0, install: 0 };

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'picolink-install-'));
  const packDir = join(work, 'packages');
  project = join(work, 'project');
  // Checked before installing: a workspace missing from the line would be looked up on the registry.
  const packed = readmeCommands('npm pack ', packDir).join(' ');
  const named = [...packed.matchAll(/-w (\S+)/g)].map((match) => match[1]);
  assert.deepEqual(new Set(named), new Set(publishedWorkspaces()), 'the README\'s npm pack line names exactly the workspaces that are not private');
  const packStart = performance.now();
  for (const command of [...readmeCommands('mkdir ', packDir), ...readmeCommands('npm pack ', packDir)]) await sh(command, REPO);
  seconds.pack = (performance.now() - packStart) / 1000;
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-pico-project', private: true, type: 'module' }) + '\n');
  const installs = readmeCommands('npm install /', packDir);
  assert.equal(installs.length, 1, 'README.md "Install" shows one project install line');
  const installStart = performance.now();
  await sh(`${installs[0]!} --prefer-offline --no-audit --no-fund`, project);
  seconds.install = (performance.now() - installStart) / 1000;
}, { timeout: INSTALL_TIMEOUT_MS });

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('every published package lands in the project', (t) => {
  t.diagnostic(`npm pack ${seconds.pack.toFixed(1)} s, npm install ${seconds.install.toFixed(1)} s`);
  const installed = readdirSync(join(project, 'node_modules', '@picolink')).sort();
  assert.deepEqual(installed, ['agent', 'cli', 'client', 'device', 'hub', 'net', 'nettools', 'protocol']);
});

test('each installed package holds every file its exports name, and no tests', () => {
  for (const name of readdirSync(join(project, 'node_modules', '@picolink'))) {
    const dir = join(project, 'node_modules', '@picolink', name);
    const { exports } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> };
    for (const [entry, targets] of Object.entries(exports)) {
      for (const target of Object.values(targets)) assert.ok(existsSync(join(dir, target)), `@picolink/${name} exports ${entry} as ${target}, which it does not ship`);
    }
    const tests = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => !file.startsWith('node_modules') && /\.test\.|(^|\/)test\//.test(file));
    assert.deepEqual(tests, [], `@picolink/${name} ships test files`);
  }
});

test('the installed picolink prints its version', async () => {
  const stdout = await sh('npx picolink --version', project);
  assert.equal(stdout.trim(), `picolink ${VERSION}`);
});

test('the installed picolink demo serves its API with the token it prints, and the dashboard page', async () => {
  const demo = startInstalled(project, ['demo', '--port', '0']);
  try {
    const [, api] = await demo.waitFor(/^ {2}API\s+(http:\/\/\S+)$/m, 'stdout', 20_000);
    const [, token] = await demo.waitFor(/^ {2}token\s+(\S+)/m, 'stdout', 20_000);
    const refused = await fetch(`${api!}/api/devices`);
    assert.equal(refused.status, 401, 'the API wants the token');
    const answer = await fetch(`${api!}/api/devices`, { headers: { authorization: `Bearer ${token!}` } });
    assert.equal(answer.status, 200);
    const { devices } = (await answer.json()) as { devices: { id: string }[] };
    assert.deepEqual(devices.map((device) => device.id).sort(), ['pico-garage', 'pico-kitchen', 'sensor-garden']);
    const page = await fetch(`${api!}/`);
    assert.equal(page.status, 200, `the dashboard page is in the hub's tarball (packages/hub/web built: ${existsSync(join(REPO, 'packages', 'hub', 'web', 'index.html'))})`);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  } finally {
    assert.equal(await demo.stop(), 0, demo.stderr());
  }
});

test('a TypeScript program in the project imports @picolink/client, type-checks strictly and drives the installed simulator', async () => {
  const device = startInstalled(project, ['device', '--sim', '--host', '127.0.0.1', '--port', '0', '--json']);
  try {
    const [line] = await device.waitFor(/^\{.*\}$/m, 'stdout', 20_000);
    const { url } = JSON.parse(line) as { url: string };
    writeFileSync(
      join(project, 'blink.ts'),
      [
        "import { connect } from '@picolink/client';",
        "const pico = await connect(process.argv[2] ?? 'tcp://127.0.0.1:12345');",
        'const led = pico.pin(15);',
        "await led.setup('output', { value: 0 });",
        'await led.write(1);',
        'const value: 0 | 1 = await led.read();',
        'console.log(JSON.stringify({ version: pico.version, value }));',
        'await pico.close();',
      ].join('\n') + '\n',
    );
    // The installed packages' own .d.ts files are checked too (no skipLibCheck), against
    // nothing but Node's types: a type the SDK leaks from a devDependency fails here.
    const types = `--typeRoots ${join(REPO, 'node_modules', '@types')} --types node`;
    await sh(`node ${TSC} --strict --target es2022 --module nodenext --moduleResolution nodenext ${types} blink.ts`, project);
    const stdout = await sh(`node blink.js ${url}`, project);
    assert.deepEqual(JSON.parse(stdout), { version: VERSION, value: 1 });
  } finally {
    assert.equal(await device.stop(), 0, device.stderr());
  }
});
