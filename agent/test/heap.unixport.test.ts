// The heap the agent keeps on real MicroPython: the 32-bit unix port with the Pico's
// single-precision floats (`unix32`, -X heapsize=192K), whose object sizes match a Pico W's.
// The figure is `gc.mem_alloc()` after `gc.collect()` minus the interpreter's baseline
// before the agent was imported (agent/README.md, "Memory"); `npm run test:micropython`
// runs this file.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { AGENT_DIR } from '../src/index.js';
import { checkSteadyStateHeap, HEAP_GOAL_BYTES } from './harness/heap-scenario.js';
import { SHIM_DIR } from './harness/mpy.js';
import { unixInterpreter } from '@picolink/test-kit/unix-port';

test('unix32: the agent keeps less than 40 KiB with three clients and telemetry running', async (t) => {
  await checkSteadyStateHeap(t, 'unix32', HEAP_GOAL_BYTES);
});

// What app.py does with config.py once started and with wifi.py once joined: MicroPython
// binds a submodule as an attribute of its package too, so it stays unless both go.
const RELEASE_SCRIPT = `
import sys, gc, json
import picolink, picolink.rt, picolink.proto
gc.collect()
before = gc.mem_alloc()
from picolink import config, wifi
gc.collect()
loaded = gc.mem_alloc() - before
del config, wifi
picolink.rt.release('config')
picolink.rt.release('wifi')
gc.collect()
print(json.dumps({'loaded': loaded, 'kept': gc.mem_alloc() - before,
                  'attributes': [n for n in ('config', 'wifi') if n in dir(picolink)],
                  'modules': [n for n in ('picolink.config', 'picolink.wifi') if n in sys.modules]}))
`;

test('unix32: modules the agent lets go leave sys.modules, the picolink package and the heap', () => {
  const interpreter = unixInterpreter('unix32');
  const run = spawnSync(interpreter.command, [...interpreter.args, '-X', 'heapsize=192K', '-c', RELEASE_SCRIPT], {
    env: { ...process.env, MICROPYPATH: `${AGENT_DIR}:${SHIM_DIR}:.frozen` },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr + run.stdout);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as { loaded: number; kept: number; attributes: string[]; modules: string[] };
  assert.deepEqual(result.attributes, []);
  assert.deepEqual(result.modules, []);
  // Their names stay interned for good (a few hundred bytes of qstrs, and a pool they
  // may have grown); their code, several KiB, goes.
  assert.ok(result.kept < result.loaded - 2048, `of ${result.loaded} bytes loaded, ${result.kept} stayed`);
});
