// The agent inside real MicroPython (the WebAssembly port, @micropython/micropython-
// webassembly-pyscript): every agent file compiles with MicroPython's compiler, the
// codec passes the shared vectors there, the behaviour suite runs against the same files
// (sockets from Node through test/mpy/jsnet.py), and the heap the agent keeps is measured.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_DIR, agentFilePath, agentFiles } from '../src/index.js';
import { checkSteadyStateHeap } from './harness/heap-scenario.js';
import { copyFileIn, copyIn, loadPython, PYTHON_TEST_DIR, run } from './harness/mpy.js';
import { agentSuite } from './suite.js';

/**
 * What the agent may keep on this route, code included (MicroPython holds the bytecode of
 * modules imported from the file system in the heap): it measures about 31.7 KiB here, so
 * this bound catches growth. The 40 KiB goal is checked where object sizes are a Pico W's,
 * on the 32-bit unix port (heap.unixport.test.ts; agent/README.md, "Memory").
 */
const HEAP_BUDGET_BYTES = 34 * 1024;

test('micropython: every agent file compiles with MicroPython\'s compiler', async () => {
  const mp = await loadPython({ heapBytes: 1024 * 1024, onLine: () => {} });
  const files = agentFiles();
  assert.ok(files.includes('main.py') && files.includes('picolink/proto.py'));
  const failures: string[] = [];
  for (const file of files) {
    mp.FS.writeFile('/source.py', readFileSync(agentFilePath(file)));
    try {
      run(mp, `compile(open('/source.py').read(), ${JSON.stringify(file)}, 'exec')`);
    } catch (err) {
      failures.push(`${file}: ${(err as Error).message.trim().split('\n').at(-1) ?? ''}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('micropython: the codec passes the shared test vectors inside MicroPython', async () => {
  const lines: string[] = [];
  const mp = await loadPython({ heapBytes: 1024 * 1024, onLine: (line) => lines.push(line) });
  copyIn(mp.FS, join(AGENT_DIR, 'picolink'), '/agent/picolink');
  copyIn(mp.FS, join(AGENT_DIR, '..', 'test-vectors'), '/vectors');
  mp.FS.mkdirTree('/tests');
  copyFileIn(mp.FS, join(PYTHON_TEST_DIR, 'test_proto.py'), '/tests/test_proto.py');
  run(mp, `
import sys, unittest
sys.path.insert(0, '/agent')
sys.path.insert(0, '/tests')
import test_proto
test_proto.VECTOR_DIR = '/vectors'
_result = unittest.main(test_proto)
`);
  const output = lines.join('\n');
  assert.match(output, /^OK$/m, output);
  assert.match(output, /^Ran \d+ tests$/m);
});

agentSuite('micropython', { tls: false });

test('micropython: steady-state heap with three clients and telemetry running', async (t) => {
  await checkSteadyStateHeap(t, 'micropython', HEAP_BUDGET_BYTES);
});
