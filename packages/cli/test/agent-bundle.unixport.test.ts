/**
 * `picolink agent bundle --compile` with the real mpy-cross, booted on MicroPython's unix
 * port (`npm run test:micropython`; agent/README.md "Tests" names the variables to set).
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AGENT_DIR } from '@picolink/agent';
import { mpyCrossPath, unixInterpreter } from '@picolink/test-kit/unix-port';
import type { UnixPort } from '@picolink/test-kit/unix-port';
import { connect } from '@picolink/client';
import type { BundleResult } from './agent-bundle-files.js';
import { tempDir, useLoopback } from './agent-bundle-files.js';
import { runPicolink } from './cli-process.js';

const SHIMS = join(AGENT_DIR, 'test', 'python', 'shims');
/** How long a board may take to say it listens and has joined WiFi, in ms (qemu in CI is slow). */
const BOOT_MS = 20_000;
/** Heap sizes searched for the smallest that starts the agent, in KiB: a Pico W has about 190. */
const HEAP_RANGE_KIB: [number, number] = [16, 256];

/**
 * A free loopback port. MicroPython's asyncio server keeps its socket to itself, so the
 * agent can only report the port it was configured with: it gets a real one, not 0.
 */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function writeBundle(t: { after(fn: () => unknown): void }, compile: boolean): Promise<string> {
  const dir = await tempDir(t);
  const made = await runPicolink(['agent', 'bundle', dir, '--ssid', 'lab', '--password', 'password', '--device-id', 'pico-mpy', '--force', '--json', ...(compile ? ['--compile', '--mpy-cross', mpyCrossPath()] : [])], { timeoutMs: 60_000 });
  assert.equal(made.code, 0, made.stderr);
  assert.equal((JSON.parse(made.stdout) as BundleResult).compiled.length > 0, compile);
  // NTP would leave this machine; a failed start ends the process at once instead of blinking.
  await useLoopback(dir, await freePort(), { ntp: false, crash_restart_ms: 0 });
  return dir;
}

/**
 * Boots a bundle as a board does: its directory is the flash (working directory and module
 * path, with the `machine`/`network` stand-ins); a reset ends the process.
 */
function boot(dir: string, port: UnixPort, heapKib?: number): { child: ChildProcessWithoutNullStreams; output: () => string; waitFor: (pattern: RegExp) => Promise<RegExpExecArray | undefined> } {
  const interpreter = unixInterpreter(port);
  const heap = heapKib === undefined ? [] : ['-X', `heapsize=${heapKib}K`];
  const code = 'import sys, machine\nmachine._exit = sys.exit\nimport asyncio, main\nasyncio.run(main.start())';
  const child = spawn(interpreter.command, [...interpreter.args, ...heap, '-c', code], {
    cwd: dir,
    // `.frozen` keeps the interpreter's own asyncio on the path.
    env: { ...process.env, MICROPYPATH: ['.frozen', dir, SHIMS].join(':') },
  });
  let output = '';
  const lines: string[] = [];
  const waiting = new Set<() => void>();
  const onLine = (line: string): void => {
    output += line + '\n';
    lines.push(line);
    for (const wake of waiting) wake();
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const waitFor = (pattern: RegExp): Promise<RegExpExecArray | undefined> =>
    new Promise((resolve) => {
      const check = (): void => {
        const found = lines.map((line) => pattern.exec(line)).find((match) => match !== null);
        if (found || child.exitCode !== null || child.signalCode !== null) finish(found ?? undefined);
      };
      const finish = (result: RegExpExecArray | undefined): void => {
        clearTimeout(timer);
        waiting.delete(check);
        child.off('exit', check);
        resolve(result);
      };
      const timer = setTimeout(() => finish(undefined), BOOT_MS);
      waiting.add(check);
      child.on('exit', check);
      check();
    });
  return { child, output: () => output, waitFor };
}

/** Whether the bundle starts (listens, joins WiFi) with `heapKib` KiB of heap. */
async function starts(dir: string, heapKib: number): Promise<boolean> {
  const board = boot(dir, 'unix32', heapKib);
  try {
    return (await board.waitFor(/^picolink: listening on /)) !== undefined && (await board.waitFor(/^picolink: WiFi "lab" joined/)) !== undefined;
  } finally {
    board.child.kill('SIGKILL');
  }
}

/** The smallest heap, in KiB, in which the bundle starts (a binary search over HEAP_RANGE_KIB). */
async function smallestHeap(dir: string): Promise<number> {
  let [low, high] = HEAP_RANGE_KIB;
  assert.ok(await starts(dir, high), `the bundle does not start even in ${high} KiB`);
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (await starts(dir, middle)) high = middle;
    else low = middle;
  }
  return high;
}

test('a bundle compiled with mpy-cross -march=armv6m boots on the unix port from .mpy alone and serves requests', async (t) => {
  const dir = await writeBundle(t, true);
  const modules = await readdir(join(dir, 'picolink'));
  assert.ok(modules.length > 10 && modules.every((name) => name.endsWith('.mpy')), `only bytecode: ${modules.join(', ')}`);
  for (const name of modules) {
    const header = (await readFile(join(dir, 'picolink', name))).subarray(0, 3);
    // 'M', format 6, and no native architecture: bytecode, which any port loads.
    assert.deepEqual([...header], [0x4d, 6, 0], name);
  }
  const { port } = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { port: number };

  const board = boot(dir, 'unix');
  t.after(() => board.child.kill('SIGKILL'));
  const listening = await board.waitFor(/^picolink: listening on 127\.0\.0\.1:(\d+) \(TCP, device pico-mpy\)/);
  assert.ok(listening, `the compiled agent did not start on ${unixInterpreter('unix').label}:\n${board.output()}`);
  const device = await connect(`tcp://127.0.0.1:${port}`, { timeoutMs: 5000 });
  t.after(() => device.close());
  assert.equal(((await device.info()) as { deviceId?: string }).deviceId, 'pico-mpy');
  await device.pin('LED').setup('output');
  await device.pin('LED').write(1);
  // MicroPython's dicts keep no order: the fields of the `@hw` line come in any order.
  assert.ok(await board.waitFor(/^@hw (?=.*"op": "write")(?=.*"pin": "LED")(?=.*"level": 1\b)/), `the LED was not driven:\n${board.output()}`);
});

test('the compiled bundle starts in less heap than the .py one (32-bit, single-precision floats, like the Pico)', async (t) => {
  const source = await smallestHeap(await writeBundle(t, false));
  const compiled = await smallestHeap(await writeBundle(t, true));
  t.diagnostic(`smallest -X heapsize that starts the agent on ${unixInterpreter('unix32').label}: .py ${source} KiB, .mpy ${compiled} KiB`);
  assert.ok(compiled < source, `.mpy needs ${compiled} KiB, .py ${source} KiB`);
});
