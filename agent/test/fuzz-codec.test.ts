// The fuzzer's frames through the agent's codec (docs/fuzzing.md): a deterministic corpus
// of FRAMES frames (MICROPYTHON_FRAMES inside MicroPython) mutated from the request and
// hello vectors (deep nesting, huge numbers, invalid UTF-8, NUL bytes, prototype keys,
// duplicate keys, truncation, lines past the 64 KiB limit, cut into chunks) is written to
// a temp file and run through agent/picolink/proto.py by test/python/fuzz_codec.py, under
// CPython and inside MicroPython. Every frame must get a reply the codec reads back, with
// a known code when it is an error, or a PicolinkError with a known code; never another
// exception.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FuzzRandom, frameWrites, fuzzFrame, loadSeeds } from '@picolink/test-kit/fuzz';
import { AGENT_DIR } from '../src/index.js';
import { copyFileIn, copyIn, loadPython, PYTHON_TEST_DIR, run } from './harness/mpy.js';

const FRAMES = 3000;
/** Inside MicroPython (WebAssembly, about 40 times slower) the first of them only, to stay within seconds. */
const MICROPYTHON_FRAMES = 400;
/** The corpus is the same on every run unless PICOLINK_FUZZ_SEED picks another. */
const DEFAULT_SEED = 0x5eed;
/** MicroPython's heap for the run: the largest frames (past 64 KiB) and their replies fit. */
const MICROPYTHON_HEAP_BYTES = 8 * 1024 * 1024;

function corpusSeed(): number {
  const given = process.env.PICOLINK_FUZZ_SEED;
  return given === undefined || given === '' ? DEFAULT_SEED : Number(given);
}

/** Writes the corpus: one frame a line, "INDEX CHUNK ...", chunks in base64. */
function writeCorpus(path: string, seed: number, frames: number): void {
  const { requests, hellos } = loadSeeds();
  const pool = [...requests, ...hellos];
  const lines: string[] = [];
  for (let index = 0; index < frames; index++) {
    const frame = fuzzFrame(seed, index, pool);
    const writes = frameWrites(new FuzzRandom(seed ^ 0xa9e, index), [frame]);
    lines.push(`${index} ${writes.chunks.map((c) => c.toString('base64')).join(' ')}`);
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

async function withCorpus<T>(frames: number, body: (path: string, seed: number) => Promise<T> | T): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'picolink-fuzz-corpus-'));
  try {
    const seed = corpusSeed();
    const path = join(dir, 'corpus.txt');
    writeCorpus(path, seed, frames);
    return await body(path, seed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('fuzz: the agent codec under CPython answers every fuzzed frame with a coded reply or error', async (t) => {
  await withCorpus(FRAMES, (path, seed) => {
    t.diagnostic(`seed ${seed}, ${FRAMES} frames`);
    const result = spawnSync(process.env.PYTHON ?? 'python3', ['-B', join(PYTHON_TEST_DIR, 'fuzz_codec.py'), AGENT_DIR, path], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(result.error, undefined, String(result.error));
    const output = result.stdout + result.stderr;
    t.diagnostic(output.trim().split('\n').at(-1) ?? '');
    assert.match(output, new RegExp(`^fuzzed ${FRAMES} frames, 0 failures$`, 'm'), output);
    assert.equal(result.status, 0, output);
  });
});

test('fuzz: the agent codec inside MicroPython answers every fuzzed frame with a coded reply or error', async (t) => {
  await withCorpus(MICROPYTHON_FRAMES, async (path, seed) => {
    t.diagnostic(`seed ${seed}, ${MICROPYTHON_FRAMES} frames`);
    const lines: string[] = [];
    const mp = await loadPython({ heapBytes: MICROPYTHON_HEAP_BYTES, onLine: (line) => lines.push(line) });
    copyIn(mp.FS, join(AGENT_DIR, 'picolink'), '/agent/picolink');
    mp.FS.mkdirTree('/tests');
    copyFileIn(mp.FS, join(PYTHON_TEST_DIR, 'fuzz_codec.py'), '/tests/fuzz_codec.py');
    mp.FS.writeFile('/corpus.txt', readFileSync(path));
    run(mp, `
import sys
sys.path.insert(0, '/agent')
sys.path.insert(0, '/tests')
import fuzz_codec
fuzz_codec.main('/corpus.txt')
`);
    const output = lines.join('\n');
    t.diagnostic(lines.at(-1) ?? '');
    assert.match(output, new RegExp(`^fuzzed ${MICROPYTHON_FRAMES} frames, 0 failures$`, 'm'), output);
  });
});
