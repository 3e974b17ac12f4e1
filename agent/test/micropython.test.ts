// The agent inside real MicroPython (the WebAssembly port, @micropython/micropython-
// webassembly-pyscript): every agent file compiles with MicroPython's compiler, the
// codec passes the shared vectors there, the behaviour suite runs against the same files
// (sockets from Node through test/mpy/jsnet.py), and the heap the agent keeps is measured.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_DIR, agentFilePath, agentFiles } from '../src/index.js';
import { Board } from './harness/board.js';
import { delay, LineClient } from './harness/line-client.js';
import { copyFileIn, copyIn, loadPython, PYTHON_TEST_DIR, run } from './harness/mpy.js';
import { agentSuite } from './suite.js';

/**
 * What the agent may keep, code included (MicroPython holds the bytecode of modules
 * imported from the file system in the heap). The goal is 40 KiB; measured in this
 * configuration the agent keeps about 45-50 KiB, so this bound catches growth, and the
 * diagnostic line reports the figure.
 */
const HEAP_BUDGET_BYTES = 56 * 1024;

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
  // The configuration of a board in use: WiFi, status LED, watchdog, signed telemetry
  // with acks (nobody acknowledges here, so its resend buffer is full).
  const board = await Board.start(t, 'micropython', {
    config: {
      ssid: 'lab',
      pwd: 'secret',
      status_led: true,
      watchdog_ms: 4000,
      telemetry: { target: '127.0.0.1:9', interval_ms: 50, sensors: ['temp_c', 'adc0', 'pin2'], key: 'k'.repeat(32), ack: true },
    },
  });
  const clients = await Promise.all([0, 1, 2].map(() => LineClient.connect(board.port)));
  t.after(() => clients.forEach((c) => c.close()));
  const [a, b, c] = clients as [LineClient, LineClient, LineClient];
  await a.request({ action: 'setup_pin', pin: 2, mode: 'output', value: 1, safe: 0 });
  await a.request({ action: 'write_pin', pin: 2, value: 0, timeout: 60 });
  await b.request({ action: 'setup_pin', pin: 14, mode: 'input', pull: 'up' });
  await b.request({ action: 'watch_pin', pin: 14 });
  await c.request({ action: 'watch_pin', pin: 2 });
  for (const client of clients) {
    for (const action of ['get_version', 'get_info', 'list_actions', 'ping']) await client.request({ action });
  }
  board.setInput(14, 0);
  await b.event('pin_change');
  await delay(500); // telemetry fills its resend buffer (nobody acknowledges)
  // The WebAssembly port's collector also scans the C stack, which can hold stale pointers
  // for a moment: the least of a few readings is the heap the agent really keeps.
  let report = await board.memory();
  for (let i = 0; i < 4; i++) {
    await delay(100);
    const again = await board.memory();
    if (again.agent < report.agent) report = again;
  }
  t.diagnostic(`agent heap after gc.collect(): ${report.agent} bytes (${(report.agent / 1024).toFixed(1)} KiB); interpreter baseline ${report.baseline} bytes; free ${report.free} bytes`);
  assert.ok(report.agent > 0);
  assert.ok(report.agent < HEAP_BUDGET_BYTES, `the agent keeps ${report.agent} bytes, more than ${HEAP_BUDGET_BYTES}`);
  board.assertNoTraceback();
});
