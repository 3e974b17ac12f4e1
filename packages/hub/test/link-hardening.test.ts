/**
 * The hub end of `hub://` links against hostile or broken input (issue 8): frames nested
 * thousands deep are refused before they are parsed, and a failure while answering one
 * link — here the store handing back a record that cannot be written as JSON, noticed
 * only once the answer is built — closes that link (1011, PL_ERR_INTERNAL logged once),
 * never the hub.
 */
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { connect } from '@picolink/client';
import { WebSocket } from 'ws';
import { startTestHub } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';
import { serverDeviceOnline, startServerDevice } from './sim-devices.js';
import type { SimDevice } from './sim-devices.js';

type Frame = Record<string, unknown>;

/** A raw WebSocket on the device link, keeping every frame it receives. */
async function rawLink(t: TestHub, deviceId: string): Promise<{ ws: WebSocket; frames: Frame[]; next(): Promise<Frame> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${t.hub.httpPort}/api/devices/${deviceId}/link`, { headers: { authorization: `Bearer ${t.hub.token ?? ''}` } });
  const frames: Frame[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as Frame);
    wake?.();
  });
  await once(ws, 'open');
  return {
    ws,
    frames,
    async next() {
      const deadline = Date.now() + 3000;
      while (frames.length === 0) {
        if (Date.now() > deadline) throw new Error('no frame within 3000 ms');
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
      return frames.shift() as Frame;
    },
  };
}

describe('hub:// links against hostile input', () => {
  let t: TestHub;
  let pico: SimDevice;
  let hubUrl: string;
  const logs: string[] = [];

  before(async () => {
    pico = await startServerDevice('pico-1');
    t = await startTestHub({ devices: [{ id: 'pico-1', address: pico.device.url }] }, { log: (line) => logs.push(line) });
    await serverDeviceOnline(t.hub, 'pico-1');
    hubUrl = `hub://127.0.0.1:${t.hub.httpPort}/devices/pico-1`;
  });
  after(async () => {
    await t.close();
    await pico.stop();
  });

  test('a link frame nested 6,000 deep gets PL_ERR_JSON_TOO_COMPLEX; the link and the hub go on', async () => {
    const bystander = await connect(hubUrl, { token: t.hub.token ?? '' });
    const link = await rawLink(t, 'pico-1');
    try {
      link.ws.send(`{"id":1,"action":"write_pin","pin":2,"value":${'['.repeat(6000)}${']'.repeat(6000)}}\n`);
      const reply = await link.next();
      assert.equal(reply.ok, false);
      assert.equal(reply.code, 'PL_ERR_JSON_TOO_COMPLEX');
      link.ws.send('{"id":2,"action":"ping"}\n');
      const pong = await link.next();
      assert.deepEqual([pong.id, pong.ok], [2, true], 'the link stays usable');
      assert.equal(typeof (await bystander.ping()), 'number', 'another link is served');
      assert.equal((await bystander.adc(3).read()).value >= 0, true, 'and reaches the device');
    } finally {
      link.ws.close();
      await bystander.close();
    }
  });

  test('a failure while a link\'s answer is built closes that link with 1011 and PL_ERR_INTERNAL, logged once; other links go on', async () => {
    const bystander = await connect(hubUrl, { token: t.hub.token ?? '' });
    const store = t.hub.store as unknown as { getDevice: (id: string) => Promise<unknown> };
    const getDevice = store.getDevice;
    const link = await rawLink(t, 'pico-1');
    try {
      // A record whose firmware is a BigInt: get_version's answer cannot be written as JSON.
      store.getDevice = async (id: string) => ({ ...((await getDevice.call(t.hub.store, id)) as object), firmware: 1n });
      const closed = once(link.ws, 'close') as Promise<[number, Buffer]>;
      link.ws.send('{"id":1,"action":"get_version"}\n');
      const [code, reason] = await closed;
      assert.equal(code, 1011);
      assert.match(String(reason), /PL_ERR_INTERNAL/);
      const logged = logs.filter((line) => line.includes('PL_ERR_INTERNAL'));
      assert.equal(logged.length, 1);
      assert.match(logged[0] ?? '', /device link to "pico-1" closed after an internal error \(PL_ERR_INTERNAL\).*BigInt/);
    } finally {
      store.getDevice = getDevice;
    }
    assert.equal(typeof (await bystander.ping()), 'number', 'the other link is still served');
    const again = await connect(hubUrl, { token: t.hub.token ?? '' });
    assert.equal(typeof (await again.ping()), 'number', 'new links are served');
    await again.close();
    await bystander.close();
  });
});
