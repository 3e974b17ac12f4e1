import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { dialingDevice, GatewayHub, until } from './gateway-fixture.js';
import type { ReapplyStepReport } from '../src/state/device-commands.js';

const DEVICES = { devices: [{ id: 'relay-box' }] };

function steps(event: { data: Record<string, unknown> }): string[] {
  return (event.data.steps as ReapplyStepReport[]).map((step) => {
    const fields = Object.entries(step.request)
      .filter(([name]) => name !== 'pin')
      .map(([name, value]) => `${name}=${String(value)}`)
      .join(' ');
    return `${String(step.pin)} ${step.action} ${fields} ${step.result}`.replace(/ +/g, ' ');
  });
}

test('after the hub restarts, the outputs it set come back: safe value first, then the lasting value, then the lease for its remaining time', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  const device = await dialingDevice(t, hub, 'relay-box');
  await device.welcomed();
  await until(() => hub.directory.isOnline('relay-box'), 'online');
  const send = (request: Record<string, unknown>) => hub.commands.send('relay-box', request, 'api:test');
  await send({ action: 'setup_pin', pin: 2, mode: 'output', value: 0, safe: 0 });
  await send({ action: 'write_pin', pin: 2, value: 1 });
  await send({ action: 'setup_pin', pin: 3, mode: 'output', value: 0, safe: 0 });
  const lease = await send({ action: 'write_pin', pin: 3, value: 1, timeout: 5 });
  assert.equal(lease.lease_ms, 5000);
  await send({ action: 'setup_pin', pin: 14, mode: 'input', pull: 'up' });
  assert.deepEqual([device.backend.pinState(2).driven, device.backend.pinState(3).driven], [1, 1]);

  const reapplied = new Promise<{ data: Record<string, unknown> }>((resolve) => {
    const check = (): void => {
      const event = hub.events.find((e) => e.type === 'state_reapplied');
      if (event) resolve(event);
      else setTimeout(check, 5);
    };
    check();
  });
  const dropped = Date.now();
  await hub.restart(100);
  // While the hub was away, the device's failsafe put both relays to their safe value.
  assert.deepEqual([device.backend.pinState(2).driven, device.backend.pinState(3).driven], [0, 0]);
  const event = await reapplied;
  assert.deepEqual(steps(event).slice(0, 5), [
    '2 setup_pin mode=output pull=none value=0 safe=0 ok',
    '2 write_pin value=1 ok',
    '3 setup_pin mode=output pull=none value=0 safe=0 ok',
    '3 write_pin value=0 ok',
    steps(event)[4],
  ]);
  const leaseStep = (event.data.steps as ReapplyStepReport[])[4] as ReapplyStepReport;
  assert.equal(leaseStep.action, 'write_pin');
  assert.equal(leaseStep.request.value, 1);
  const remaining = Number(leaseStep.request.timeout);
  assert.ok(remaining > 5 - (Date.now() - dropped) / 1000 - 0.5 && remaining < 5, `lease re-applied for its remaining ${remaining} s`);
  assert.deepEqual(steps(event).slice(5), ['14 setup_pin mode=input pull=up ok']);
  assert.deepEqual(event.data.expiredLeases, []);
  assert.deepEqual([device.backend.pinState(2).driven, device.backend.pinState(3).driven], [1, 1]);
  assert.ok(device.runtime.pins.snapshot(3).lease, 'pin 3 holds a lease again');
  assert.equal(device.runtime.pins.snapshot(2).safe, 0, 'and the safe value is set again');

  const stored = await until(async () => (await hub.storedEvents('relay-box', 'state_reapplied'))[0], 'state_reapplied stored');
  assert.deepEqual(stored.data.steps, event.data.steps);
  const audit = await hub.store.listAudit({ deviceId: 'relay-box' });
  assert.equal(audit.filter((record) => record.actor === 'hub').length, 6, 'every re-applied command is in the audit log as the hub');
});

test('with safe_after_ms, a hub restart within the grace leaves an output on with no transition; a longer outage ends in its safe value', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  const relay = await dialingDevice(t, hub, 'relay-box');
  await relay.welcomed();
  await until(() => hub.directory.isOnline('relay-box'), 'online');
  const send = (request: Record<string, unknown>) => hub.commands.send('relay-box', request, 'api:test');
  await send({ action: 'setup_pin', pin: 2, mode: 'output', value: 0, safe: 0, safe_after_ms: 3000 });
  await send({ action: 'write_pin', pin: 2, value: 1 });
  await send({ action: 'setup_pin', pin: 3, mode: 'output', value: 1, safe: 0 });
  const changes: string[] = [];
  relay.backend.onWrite((write) => {
    if (write.kind === 'level') changes.push(`${String(write.pin)}=${write.level}`);
  });

  await hub.restart(100);
  await until(() => hub.events.find((e) => e.type === 'state_reapplied'), 'state re-applied');
  assert.deepEqual(steps(hub.events.find((e) => e.type === 'state_reapplied') as { data: Record<string, unknown> }).slice(0, 2), [
    '2 setup_pin mode=output pull=none value=1 safe=0 safe_after_ms=3000 ok',
    '2 write_pin value=1 ok',
  ]);
  assert.equal(relay.backend.pinState(2).driven, 1);
  assert.ok(!changes.includes('2=0'), `pin 2 never went to its safe value: ${changes.join(' ')}`);
  assert.ok(changes.includes('3=0'), 'without a grace, pin 3 went safe as before');
  const snapshot = relay.runtime.pins.snapshot(2);
  assert.deepEqual([snapshot.safeAfterMs, snapshot.failsafePending], [3000, undefined], 'the hub owns the pin again, grace included');

  // The hub gone for longer than the grace: the relay goes off about safe_after_ms after the link dropped.
  await hub.stop();
  const dropped = performance.now();
  await until(() => relay.backend.pinState(2).driven === 0, 'pin 2 safe', 6000);
  const after = performance.now() - dropped;
  assert.ok(after >= 2900 && after < 4500, `pin 2 went safe ${Math.round(after)} ms after the hub stopped`);
});

test('after the device restarts, the hub sets its outputs again; an expired lease is not re-applied', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  const device = await dialingDevice(t, hub, 'relay-box');
  await device.welcomed();
  await until(() => hub.directory.isOnline('relay-box'), 'online');
  const send = (request: Record<string, unknown>) => hub.commands.send('relay-box', request, 'api:test');
  await send({ action: 'setup_pin', pin: 5, mode: 'output', value: 0 });
  await send({ action: 'write_pin', pin: 5, value: 1 });
  await send({ action: 'setup_pin', pin: 6, mode: 'output', value: 0 });
  await send({ action: 'write_pin', pin: 6, value: 1, timeout: 0.1 });
  await new Promise((resolve) => setTimeout(resolve, 150));
  const firstBoot = device.runtime.bootId;
  await send({ action: 'reset' });
  await until(() => device.runtime.bootId !== firstBoot, 'device restarted');
  const event = await until(() => hub.events.find((e) => e.type === 'state_reapplied'), 'state re-applied');
  assert.deepEqual(steps(event), [
    '5 setup_pin mode=output pull=none value=1 ok',
    '5 write_pin value=1 ok',
    '6 setup_pin mode=output pull=none value=0 ok',
    '6 write_pin value=0 ok',
  ]);
  assert.deepEqual(event.data.expiredLeases, [6]);
  assert.equal(device.backend.pinState(5).driven, 1);
  const records = await hub.commands.outputs('relay-box');
  assert.equal(records.find((record) => record.pin === 6)?.leaseUntil, null, 'the expired lease is forgotten');
});

test('commands to an offline device fail with PL_ERR_DEVICE_OFFLINE and are audited; PWM pins are forgotten', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  await assert.rejects(hub.commands.send('relay-box', { action: 'ping' }, 'api:someone'), (err: { code?: string }) => err.code === 'PL_ERR_DEVICE_OFFLINE');
  const [offline] = await hub.store.listAudit({ deviceId: 'relay-box' });
  assert.deepEqual([offline?.actor, offline?.action, offline?.result, offline?.response], ['api:someone', 'ping', 'PL_ERR_DEVICE_OFFLINE', null]);

  const device = await dialingDevice(t, hub, 'relay-box');
  await device.welcomed();
  await until(() => hub.directory.isOnline('relay-box'), 'online');
  await hub.commands.send('relay-box', { action: 'setup_pin', pin: 7, mode: 'output', safe: 0 }, 'api:test');
  assert.equal((await hub.commands.outputs('relay-box')).length, 1);
  const refused = await hub.commands.send('relay-box', { action: 'write_pin', pin: 8, value: 1 }, 'api:test');
  assert.equal(refused.code, 'PL_ERR_PIN_NOT_SETUP');
  assert.equal((await hub.commands.outputs('relay-box')).length, 1, 'a refused command changes nothing');
  await hub.commands.send('relay-box', { action: 'set_pwm', pin: 7, freq: 1000, duty: 0.5 }, 'api:test');
  assert.deepEqual(await hub.commands.outputs('relay-box'), []);
  const audit = await hub.store.listAudit({ deviceId: 'relay-box' });
  assert.equal(audit[1]?.result, 'PL_ERR_PIN_NOT_SETUP');
});

test('an update is audited with its file names, not its contents', async (t) => {
  const hub = await GatewayHub.start(t, { config: DEVICES });
  const device = await dialingDevice(t, hub, 'relay-box');
  await device.welcomed();
  await until(() => hub.directory.isOnline('relay-box'), 'online');
  const reply = await hub.commands.send('relay-box', { action: 'update', files: { 'main.py': 'print("secret sauce")' } }, 'api:test');
  assert.equal(reply.ok, true);
  const [record] = await hub.store.listAudit({ deviceId: 'relay-box' });
  assert.deepEqual(record?.request.files, ['main.py']);
  assert.ok(!JSON.stringify(record).includes('secret sauce'));
});
