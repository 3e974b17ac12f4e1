/**
 * MicroPython on WebAssembly (@micropython/micropython-webassembly-pyscript) for the
 * tests: load an interpreter with a Pico-W-sized heap, and move files between its
 * in-memory file system (Emscripten MEMFS, the only one this build has) and the disk.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMicroPython } from '@micropython/micropython-webassembly-pyscript';
import type { EmscriptenFS, MicroPython } from '@micropython/micropython-webassembly-pyscript';
import { AGENT_DIR } from '../../src/index.js';

/** The MicroPython heap a Pico W has for Python objects (gc.mem_free() + gc.mem_alloc()). */
export const PICO_W_HEAP_BYTES = 192 * 1024;

/** Directory of the shim modules (machine, network) and the Python test files. */
export const PYTHON_TEST_DIR = join(AGENT_DIR, 'test', 'python');
export const SHIM_DIR = join(PYTHON_TEST_DIR, 'shims');
export const JSNET_PATH = join(AGENT_DIR, 'test', 'mpy', 'jsnet.py');

export interface LoadOptions {
  heapBytes?: number;
  /** Receives each line the interpreter prints (stdout and stderr). */
  onLine?: (line: string) => void;
}

export async function loadPython(options: LoadOptions = {}): Promise<MicroPython> {
  const onLine = options.onLine ?? ((line: string) => process.stdout.write(line + '\n'));
  return loadMicroPython({ heapsize: options.heapBytes ?? PICO_W_HEAP_BYTES, stdout: onLine, stderr: onLine, linebuffer: true });
}

/** Copies a directory tree from the disk into the interpreter's file system. */
export function copyIn(fs: EmscriptenFS, from: string, to: string): void {
  fs.mkdirTree(to);
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    if (statSync(source).isDirectory()) copyIn(fs, source, `${to}/${name}`);
    else fs.writeFile(`${to}/${name}`, readFileSync(source));
  }
}

/** Copies a single file into the interpreter's file system. */
export function copyFileIn(fs: EmscriptenFS, from: string, to: string): void {
  fs.writeFile(to, readFileSync(from));
}

/** Makes `to` on the disk an exact copy of the interpreter's directory `from`. */
export function copyOut(fs: EmscriptenFS, from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  for (const name of fs.readdir(from)) {
    if (name === '.' || name === '..') continue;
    const source = `${from}/${name}`;
    if (fs.isDir(fs.stat(source).mode)) copyOut(fs, source, join(to, name));
    else writeFileSync(join(to, name), fs.readFile(source));
  }
}

/** Runs Python code; a Python exception becomes a JavaScript Error with its message. */
export function run(mp: MicroPython, code: string): unknown {
  return mp.runPython(code);
}
