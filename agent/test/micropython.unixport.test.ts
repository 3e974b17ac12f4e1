// The agent on real MicroPython: the unix port, 64-bit (`unix`) and 32-bit with the Pico's
// single-precision floats (`unix32`), with the interpreter's own sockets, select, asyncio
// and tls (mbedtls); only `machine` and `network` are stood in (test/python/shims). The
// codec's unit tests and the whole behaviour suite, TLS included, run on both.
// `npm run test:micropython` runs this file; `@picolink/test-kit/unix-port` finds the interpreters.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { AGENT_DIR } from '../src/index.js';
import { Board } from '@picolink/test-kit/board';
import { LineClient } from './harness/line-client.js';
import { TLS_SUITE_OPTIONS } from './harness/tls-options.js';
import { unixInterpreter } from '@picolink/test-kit/unix-port';
import { agentSuite } from './suite.js';

const RUN_TESTS = join(AGENT_DIR, 'test', 'mpy-unix', 'run_tests.py');

for (const port of ['unix', 'unix32'] as const) {
  test(`${port}: the codec passes the shared test vectors and its unit tests inside the interpreter`, () => {
    const interpreter = unixInterpreter(port);
    const result = spawnSync(interpreter.command, [...interpreter.args, RUN_TESTS, AGENT_DIR, join(AGENT_DIR, '..', 'test-vectors')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const output = result.stdout + result.stderr;
    assert.equal(result.error, undefined, String(result.error));
    assert.equal(result.status, 0, `${interpreter.label}:\n${output}`);
    assert.match(output, /^Ran \d+ tests$/m);
    assert.match(output, /^OK$/m);
  });

  test(`${port}: the agent's log names a client by its address, as on a board`, async (t) => {
    // The unix port gives "peername" as raw sockaddr bytes where rp2 gives (host, port):
    // run_agent.py hands the agent the tuple, so its log lines read as they do on a Pico W.
    const board = await Board.start(t, port);
    const client = await LineClient.connect(board.port);
    t.after(() => client.close());
    await client.request({ action: 'ping' });
    await board.waitForOutput(`picolink: client 127.0.0.1:${client.socket.localPort} connected (#1)`);
    board.assertNoTraceback();
  });

  agentSuite(port, TLS_SUITE_OPTIONS);
}
