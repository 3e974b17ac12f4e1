/**
 * The page's pure parts, in Node: the console's form comes from the protocol's action
 * table (every field of every action, typed as the table says, and the request it makes),
 * live rows fold into plotted buckets, and pin modes come from the audit log.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { ACTION_NAMES, ACTIONS, validateRequest } from '@picolink/protocol';
import { formFields, requestFromForm } from '../src/console-form.js';
import { modesFromAudit, pinList } from '../src/pin-state.js';
import { appendRow, bucketFor, fromBuckets, fromRows, trimBefore } from '../src/series.js';
import type { AuditRecord } from '../src/types.js';

describe('console form', () => {
  test('every action has one input per field of the protocol table', () => {
    for (const action of ACTION_NAMES) {
      assert.deepEqual(formFields(action).map((f) => f.name), Object.keys(ACTIONS[action].fields), action);
    }
    const pwm = formFields('set_pwm');
    assert.deepEqual(pwm.find((f) => f.name === 'freq'), { name: 'freq', required: true, doc: ACTIONS.set_pwm.fields.freq.doc, kind: 'number', min: 8, max: 62_500_000, step: 1, unit: 'Hz' });
    assert.deepEqual(formFields('setup_pin').find((f) => f.name === 'mode')?.options, ['input', 'output']);
    assert.equal(formFields('sleep').find((f) => f.name === 'deep')?.kind, 'checkbox');
    assert.equal(formFields('update').find((f) => f.name === 'files')?.kind, 'json');
  });

  test('the form makes requests the protocol accepts; empty optional fields are left out', () => {
    const write = requestFromForm('write_pin', { pin: 'LED', value: '1', timeout: '' });
    assert.deepEqual(write, { action: 'write_pin', pin: 'LED', value: 1 });
    assert.doesNotThrow(() => validateRequest(write));
    const setup = requestFromForm('setup_pin', { pin: '2', mode: 'output', value: '0', safe: '0', pull: '' });
    assert.deepEqual(setup, { action: 'setup_pin', pin: 2, mode: 'output', value: 0, safe: 0 });
    assert.doesNotThrow(() => validateRequest(setup));
    assert.deepEqual(requestFromForm('sleep', { time_ms: '500', deep: true }), { action: 'sleep', time_ms: 500, deep: true });
    assert.deepEqual(requestFromForm('update', { files: '{"main.py":"print(1)"}' }), { action: 'update', files: { 'main.py': 'print(1)' } });
  });
});

describe('plotted series', () => {
  test('raw rows per metric, in seconds; buckets keep min, mean and max', () => {
    const raw = fromRows([{ metric: 'a', time: 1000, value: 1 }, { metric: 'b', time: 1000, value: 2 }, { metric: 'a', time: 2000, value: 3 }]);
    assert.deepEqual(raw.get('a')?.time, [1, 2]);
    assert.deepEqual(raw.get('b')?.mean, [2]);
    const buckets = fromBuckets([{ metric: 'a', time: 60_000, count: 2, min: 1, max: 3, avg: 2 }]);
    assert.deepEqual(buckets.get('a'), { time: [60], mean: [2], min: [1], max: [3], count: [2] });
  });

  test('a live row folds into the last bucket when it falls in it, else starts a new one', () => {
    const s = fromBuckets([{ metric: 'a', time: 60_000, count: 2, min: 1, max: 3, avg: 2 }]).get('a');
    assert.ok(s);
    assert.equal(appendRow(s, { metric: 'a', time: 90_000, value: 8 }, 60_000), true);
    assert.deepEqual([s.mean[0], s.min[0], s.max[0], s.count[0]], [4, 1, 8, 3]);
    appendRow(s, { metric: 'a', time: 125_000, value: 5 }, 60_000);
    assert.deepEqual(s.time, [60, 120]);
    assert.equal(appendRow(s, { metric: 'a', time: 10_000, value: 5 }, 60_000), false, 'older than the last point');
    trimBefore(s, 100_000);
    assert.deepEqual(s.time, [120]);
  });

  test('raw rows up to 15 minutes, then about 600 buckets', () => {
    assert.equal(bucketFor(15 * 60_000), 0);
    assert.equal(bucketFor(3_600_000), 6000);
    assert.equal(bucketFor(7 * 86_400_000), 1_008_000);
  });
});

describe('pin modes', () => {
  const record = (id: number, action: string, request: Record<string, unknown>, result = 'ok'): AuditRecord => ({ id, time: id, actor: 'api', deviceId: 'p', action, request: { action, ...request }, result, response: null });

  test('the newest successful setup or PWM of each pin wins; failures are ignored', () => {
    const modes = modesFromAudit([
      record(4, 'setup_pin', { pin: 2, mode: 'input', pull: 'up' }, 'PL_ERR_NO_SUCH_PIN'),
      record(3, 'set_pwm', { pin: 3, freq: 1000, duty: 0.25 }),
      record(2, 'setup_pin', { pin: 2, mode: 'output', safe: 0 }),
      record(1, 'setup_pin', { pin: 'LED', mode: 'output' }),
      record(0, 'setup_pin', { pin: 2, mode: 'input' }),
    ]);
    assert.deepEqual(modes.get('2'), { mode: 'output', pull: 'none', safe: 0 });
    assert.deepEqual(modes.get('3'), { mode: 'pwm', duty: 0.25, freq: 1000 });
    assert.equal(modes.get('LED')?.mode, 'output');
    assert.deepEqual(pinList([22, 2, 15]), ['LED', '2', '15', '22']);
  });
});
