import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { validateRequest } from '@picolink/protocol';
import type { OutputState } from '../store/store.js';
import { outputChange, reapplyPlan } from './output-record.js';

const NOW = 1_700_000_000_000;

function change(request: Record<string, unknown>, response: Record<string, unknown>, previous?: OutputState, legacy = false) {
  return outputChange('d', validateRequest(request), { ok: true, ...response }, previous, NOW, legacy);
}

function saved(result: ReturnType<typeof change>): OutputState {
  assert.equal(result?.kind, 'save');
  return (result as { state: OutputState }).state;
}

test('setup_pin records mode, pull and safe value (coerced), and the level after setup; it ends a lease', () => {
  const state = saved(change({ action: 'setup_pin', pin: '2', mode: 'OUTPUT', value: 'on', safe: 0 }, { value: 1 }));
  assert.deepEqual(state, { deviceId: 'd', pin: 2, setup: { pin: 2, mode: 'output', pull: 'none', value: 1, safe: 0 }, value: 1, leaseUntil: null, leaseValue: null, leaseWrite: null, updatedAt: NOW });
  const input = saved(change({ action: 'setup_pin', pin: 14, mode: 'input', pull: 'up' }, { value: 1 }));
  assert.deepEqual([input.setup, input.value], [{ pin: 14, mode: 'input', pull: 'up' }, null]);
});

test('write_pin without timeout is the lasting value; with a timeout it is a lease whose end is the lasting value', () => {
  const base = saved(change({ action: 'setup_pin', pin: 2, mode: 'output', value: 0, safe: 0 }, { value: 0 }));
  const lasting = saved(change({ action: 'write_pin', pin: 2, value: 1 }, { previous: 0 }, base));
  assert.deepEqual([lasting.value, lasting.leaseUntil, lasting.setup], [1, null, base.setup]);
  const lease = saved(change({ action: 'write_pin', pin: 2, value: 0, timeout: 2.5 }, { previous: 1, reverts_to: 1, lease_ms: 2500 }, lasting));
  assert.deepEqual([lease.value, lease.leaseUntil, lease.leaseValue, lease.leaseWrite], [1, NOW + 2500, 1, 0]);
  const legacy = saved(change({ action: 'write_pin', pin: 2, value: 1, timeout: 1 }, {}, undefined, true));
  assert.deepEqual([legacy.leaseValue, legacy.value, legacy.setup], [0, 0, null], 'a piconetcontrol lease reverts to the opposite level');
});

test('set_pwm forgets the pin; other actions change nothing', () => {
  assert.deepEqual(change({ action: 'set_pwm', pin: 3, freq: 1000, duty: 0.5 }, { duty_u16: 32768 }), { kind: 'delete', pin: 3 });
  assert.equal(change({ action: 'read_pin', pin: 3 }, { value: 1 }), undefined);
});

test('the plan: setup at the safe value, the lasting value, then a lease only with time left', () => {
  const states: OutputState[] = [
    { deviceId: 'd', pin: 2, setup: { pin: 2, mode: 'output', pull: 'none', value: 0, safe: 0 }, value: 1, leaseUntil: NOW + 1500, leaseValue: 1, leaseWrite: 0, updatedAt: NOW },
    { deviceId: 'd', pin: 'LED', setup: { pin: 'LED', mode: 'output', pull: 'none' }, value: 1, leaseUntil: NOW - 1, leaseValue: 1, leaseWrite: 0, updatedAt: NOW },
  ];
  const plan = reapplyPlan(states, NOW, false);
  assert.deepEqual(
    plan.steps.map((step) => step.request),
    [
      { action: 'setup_pin', pin: 2, mode: 'output', pull: 'none', value: 0, safe: 0 },
      { action: 'write_pin', pin: 2, value: 1 },
      { action: 'write_pin', pin: 2, value: 0, timeout: 1.5 },
      { action: 'setup_pin', pin: 'LED', mode: 'output', pull: 'none', value: 1 },
      { action: 'write_pin', pin: 'LED', value: 1 },
    ],
  );
  assert.deepEqual(plan.expired.map((state) => [state.pin, state.leaseUntil]), [['LED', null]]);
  const legacy = reapplyPlan(states.slice(0, 1), NOW, true);
  assert.deepEqual(
    legacy.steps.map((step) => step.request),
    [
      { action: 'setup_pin', pin: 2, mode: 'output', value: 1 },
      { action: 'write_pin', pin: 2, value: 0, timeout: 1.5 },
    ],
  );
});

test('a setup with a failsafe grace is recorded with safe_after_ms and re-applied at its lasting value, not its safe value', () => {
  const state = saved(change({ action: 'setup_pin', pin: 4, mode: 'output', value: 1, safe: 0, safe_after_ms: '5000' }, { value: 1 }));
  assert.deepEqual(state.setup, { pin: 4, mode: 'output', pull: 'none', value: 1, safe: 0, safe_after_ms: 5000 });
  const plan = reapplyPlan([{ ...state, value: 1 }], NOW, false);
  assert.deepEqual(
    plan.steps.map((step) => step.request),
    [
      { action: 'setup_pin', pin: 4, mode: 'output', pull: 'none', value: 1, safe: 0, safe_after_ms: 5000 },
      { action: 'write_pin', pin: 4, value: 1 },
    ],
  );
});
