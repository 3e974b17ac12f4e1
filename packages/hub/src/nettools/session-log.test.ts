import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ReceiveBudget } from './receive-budget.js';
import { ENTRY_OVERHEAD_BYTES, SessionLog } from './session-log.js';

describe('SessionLog', () => {
  it('keeps at most maxBytes, drops the oldest first and counts them; seq goes on after clear', () => {
    const log = new SessionLog(4 * (100 + ENTRY_OVERHEAD_BYTES));
    for (let i = 0; i < 10; i++) log.add('in', new Uint8Array(100).fill(i), '127.0.0.1:1');
    const kept = log.after(0);
    assert.deepEqual(kept.map((e) => e.seq), [7, 8, 9, 10]);
    assert.equal(log.dropped, 6);
    assert.equal(Buffer.from(kept[0]?.data ?? '', 'base64')[0], 6);
    assert.deepEqual(log.after(9).map((e) => e.seq), [10]);
    log.clear();
    assert.deepEqual(log.after(0), []);
    assert.equal(log.add('info', 'stopped').seq, 11);
    assert.equal(log.after(0)[0]?.data, 'stopped', 'an info line is its text, not base64');
  });
});

describe('ReceiveBudget', () => {
  it('keeps bytesPerSecond per window, drops and counts the rest, asks for a pause after heavy dropping', () => {
    const budget = new ReceiveBudget(1000);
    assert.deepEqual(budget.take(600, 0), { keep: true });
    assert.deepEqual(budget.take(400, 10), { keep: true });
    assert.deepEqual(budget.take(1, 20), { keep: false, pauseMs: 0 });
    assert.deepEqual(budget.take(16_000, 100), { keep: false, pauseMs: 900 });
    assert.equal(budget.dropped, 16_001);
    assert.equal(budget.takeUnreported(500), 0, 'the window is not over');
    assert.equal(budget.takeUnreported(1000), 16_001);
    assert.deepEqual(budget.take(1000, 1000), { keep: true });
  });
});
