import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { RateLimitedLog } from './log.js';

test('a flood of one kind is cut to the budget, then counted once the window is over', () => {
  let now = 0;
  const lines: string[] = [];
  const log = new RateLimitedLog((line) => lines.push(line), { linesPerWindow: 2, windowMs: 1000, now: () => now });
  for (let i = 0; i < 10; i++) log.limited('connect', `connect ${i}`);
  log.limited('error', 'error 0');
  log.always('restarting');
  assert.deepEqual(lines, ['connect 0', 'connect 1', 'error 0', 'restarting']);
  now = 1500;
  log.limited('connect', 'connect 10');
  assert.deepEqual(lines.slice(4), ['(8 more "connect" lines suppressed)', 'connect 10']);
});
