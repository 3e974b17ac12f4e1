// The agent's Python unit tests (test/python/test_*.py: the codec against the shared
// test-vectors/, WiFi retry) under CPython; micropython.test.ts runs the codec's under
// MicroPython too.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { AGENT_DIR } from '../src/index.js';
import { PYTHON_TEST_DIR } from './harness/mpy.js';

test('python3 unittest: codec vectors and unit tests', () => {
  const result = spawnSync(process.env.PYTHON ?? 'python3', ['-B', join(PYTHON_TEST_DIR, 'run_tests.py'), AGENT_DIR, join(AGENT_DIR, '..', 'test-vectors')], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(result.error, undefined, String(result.error));
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^OK$/m);
});
