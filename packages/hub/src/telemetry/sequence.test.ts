import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { SequenceWindow } from './sequence.js';

test('new numbers, duplicates and numbers older than the window', () => {
  const window = new SequenceWindow(8);
  assert.equal(window.observe(10), 'new');
  assert.equal(window.observe(11), 'new');
  assert.equal(window.observe(11), 'duplicate');
  assert.equal(window.observe(20), 'new');
  assert.equal(window.observe(12), 'too_old', '20 - 12 = 8 is outside a window of 8');
  assert.equal(window.observe(13), 'new', 'inside the window and never seen: a late datagram');
  assert.equal(window.observe(13), 'duplicate');
});

test('loss opens with a gap, closes when a late number fills it, stays once it slides out', () => {
  const window = new SequenceWindow(8);
  window.observe(0);
  window.observe(4);
  assert.equal(window.lost, 3);
  window.observe(2);
  assert.equal(window.lost, 2);
  window.observe(100);
  assert.equal(window.lost, 2 + 95);
  assert.equal(window.observe(1), 'too_old');
  assert.equal(window.lost, 97);
});

test('numbers below the first one heard are accepted once and never counted as lost', () => {
  const window = new SequenceWindow(16);
  window.observe(10);
  assert.equal(window.observe(8), 'new');
  assert.equal(window.observe(9), 'new');
  assert.equal(window.observe(8), 'duplicate');
  assert.equal(window.lost, 0);
});

test('a jump larger than the window forgets everything before it', () => {
  const window = new SequenceWindow(4);
  for (const seq of [0, 1, 2, 3]) window.observe(seq);
  assert.equal(window.observe(1000), 'new');
  assert.equal(window.observe(999), 'new');
  assert.equal(window.observe(997), 'new');
  assert.equal(window.observe(996), 'too_old');
  assert.equal(window.lost, 996 - 2);
});

test('judge only looks; forget takes a number back so it is new again', () => {
  const window = new SequenceWindow(8);
  assert.equal(window.judge(5), 'new');
  assert.equal(window.judge(5), 'new', 'judging records nothing');
  window.observe(5);
  window.observe(6);
  window.observe(7);
  assert.equal(window.judge(6), 'duplicate');
  window.forget(6);
  assert.equal(window.lost, 1, 'a number taken back is missing until it comes again');
  assert.equal(window.judge(6), 'new');
  assert.equal(window.observe(6), 'new');
  assert.equal(window.lost, 0);
  window.forget(100);
  assert.equal(window.judge(7), 'duplicate', 'forgetting a number never seen changes nothing');
});
