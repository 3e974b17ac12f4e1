/**
 * A hub whose configured port is taken does not start: PL_ERR_LISTEN_FAILED in the words
 * every picolink program uses (@picolink/net), naming the address, what to do, and the
 * setting that chose the port — for the HTTP API, the dial-home gateway and telemetry.
 */
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { ErrorCode } from '@picolink/protocol';
import { startHub } from '../src/hub.js';
import { tempDir, testConfig } from './api-fixture.js';

interface TestContext {
  after(fn: () => unknown): void;
}

async function takenTcpPort(t: TestContext): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

async function takenUdpPort(t: TestContext): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

async function startOn(t: TestContext, raw: Record<string, unknown>): Promise<unknown> {
  const dir = tempDir();
  t.after(() => dir.remove());
  try {
    const hub = await startHub({ config: testConfig(dir.path, raw) });
    await hub.close();
    return undefined;
  } catch (err) {
    return err;
  }
}

for (const [section, kind, take] of [
  ['http', 'tcp', takenTcpPort],
  ['gateway', 'tcp', takenTcpPort],
  ['telemetry', 'udp', takenUdpPort],
] as const) {
  test(`a taken ${section}.port stops the start with PL_ERR_LISTEN_FAILED naming the address and the setting`, async (t) => {
    const port = await take(t);
    const err = (await startOn(t, { [section]: { port } })) as { code?: string; message?: string } | undefined;
    assert.equal(err?.code, ErrorCode.LISTEN_FAILED);
    assert.equal(err?.message, `cannot listen on ${kind} 127.0.0.1:${port}: the port is already in use; stop the program using it or choose another port (the hub's "${section}.port")`);
  });
}
