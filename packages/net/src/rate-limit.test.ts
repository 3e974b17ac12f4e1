import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { setTimeout as delay } from 'node:timers/promises';
import { KindBudget, RateLimitedLog } from './rate-limit.js';

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

test('with reportWhenIdle the dropped count is reported when the window ends, even if the flood stopped', async () => {
  const reports: Array<[string, number]> = [];
  const budget = new KindBudget((kind, count) => reports.push([kind, count]), { perWindow: 3, windowMs: 50, reportWhenIdle: true });
  let allowed = 0;
  for (let i = 0; i < 10; i++) if (budget.allow('datagram')) allowed += 1;
  assert.equal(allowed, 3);
  assert.deepEqual(reports, [], 'nothing reported inside the window');
  await delay(200);
  assert.deepEqual(reports, [['datagram', 7]]);
  budget.close();
  assert.deepEqual(reports, [['datagram', 7]], 'a count is reported once');
});
