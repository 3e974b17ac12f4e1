// docs/protocol.md runs: every frame in it is checked by the protocol codec, every request
// shown with its response is sent to a real simulated device and answered as written, the
// example session is replayed line by line, the hello is answered by a hub as documented,
// and the telemetry MAC example is recomputed.
// A block that none of this covers must say why with `<!-- not run as written: ... -->`.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTelemetry } from '@picolink/protocol';
import { SimulatedBackend, startDevice } from '@picolink/device';
import type { RunningDevice } from '@picolink/device';
import { parseConfig, startHub } from '@picolink/hub';
import { readDocBlocks, where } from '@picolink/test-kit/doc-blocks';
import type { DocBlock } from '@picolink/test-kit/doc-blocks';
import { LineClient } from '@picolink/test-kit/line-client';
import { checkFrame, parseFrameLine } from './frames.js';
import type { Frame } from './frames.js';

const FILE = fileURLToPath(new URL('../../../../../docs/protocol.md', import.meta.url));
const BLOCKS = readDocBlocks(FILE);
const SESSION_LINE = /^([<>]) (\{.*\})$/;
/** How long an answer may take on a busy machine, in ms. */
const WAIT_MS = 10_000;
/** Fields whose value is the device's clock, so only their presence is compared. */
const CLOCK_FIELDS = new Set(['time_received', 't', 'time', 'server_time']);

/** A block of JSON objects, one per line. */
function isFrameBlock(block: DocBlock): boolean {
  return (block.lang === 'json' || block.lang === '') && block.text.split('\n').every((line) => line.startsWith('{'));
}

/** A conversation: `> ` lines the client sends, `< ` lines the device sends. */
function isSessionBlock(block: DocBlock): boolean {
  return block.lang === '' && block.text.split('\n').every((line) => SESSION_LINE.test(line));
}

test('every block of docs/protocol.md is checked by this file or marked not run, with a reason', () => {
  const unchecked = BLOCKS.filter((block) => block.notRun === undefined && !isFrameBlock(block) && !isSessionBlock(block));
  assert.deepEqual(unchecked.map(where), []);
  const noReason = BLOCKS.filter((block) => block.notRun === '');
  assert.deepEqual(noReason.map(where), []);
});

async function withDevice(run: (device: RunningDevice<SimulatedBackend>) => Promise<void>): Promise<void> {
  const device = await startDevice({ host: '127.0.0.1', port: 0, backend: new SimulatedBackend(), log: () => {} });
  try {
    await run(device);
  } finally {
    await device.close();
  }
}

/** The device's answer matches the documented one: same fields, same values but the clock's. */
function assertSameAnswer(actual: Frame, documented: Frame, context: string): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(documented).sort(), `${context}: fields`);
  for (const [key, value] of Object.entries(documented)) {
    if (CLOCK_FIELDS.has(key)) assert.equal(typeof actual[key], typeof value, `${context}: "${key}"`);
    else assert.deepEqual(actual[key], value, `${context}: "${key}"`);
  }
}

test('each frame in docs/protocol.md is a valid request, response, event or datagram', () => {
  for (const block of BLOCKS.filter((b) => b.notRun === undefined && isFrameBlock(b))) {
    let previous: Frame | undefined;
    for (const line of block.text.split('\n')) {
      const frame = parseFrameLine(line);
      assert.doesNotThrow(() => checkFrame(frame, line, typeof frame.ok === 'boolean' ? previous : undefined), `${where(block)}: ${line}`);
      previous = frame;
    }
  }
});

test('a request shown with its response gets that response from a simulated device', async () => {
  await withDevice(async (device) => {
    const client = await LineClient.connect(device.port, { timeoutMs: WAIT_MS });
    try {
      for (const block of BLOCKS.filter((b) => b.notRun === undefined && isFrameBlock(b))) {
        const frames = block.text.split('\n').map(parseFrameLine);
        for (let i = 0; i + 1 < frames.length; i++) {
          const request = frames[i] as Frame;
          const response = frames[i + 1] as Frame;
          if (typeof request.ok === 'boolean' || request.action === 'hello' || typeof response.ok !== 'boolean') continue;
          assertSameAnswer(await client.request(request), response, where(block));
        }
      }
    } finally {
      client.close();
    }
  });
});

/**
 * Replays a conversation on `client`: the client's requests are sent as written (all of a
 * run of them at once, as a pipelining client does), each documented answer is compared
 * with the device's, an input `pin_change` is caused by setting the simulated input, and
 * a request from the device is checked with the client's documented answer to it.
 */
async function replay(block: DocBlock, client: LineClient, backend: SimulatedBackend): Promise<void> {
  const lines = block.text.split('\n').map((line) => {
    const [, side, json] = SESSION_LINE.exec(line) as RegExpExecArray;
    return { fromClient: side === '>', text: json as string, frame: parseFrameLine(json as string) };
  });
  let deviceRequest: Frame | undefined;
  for (const [i, line] of lines.entries()) {
    const context = `${where(block)}, line ${i + 1}`;
    if (line.fromClient && typeof line.frame.ok !== 'boolean') {
      // The device's documented answer is the check (the session also shows a refused request).
      client.send(line.text + '\n');
      continue;
    }
    checkFrame(line.frame, line.text, line.fromClient ? deviceRequest : undefined);
    if (line.fromClient) continue;
    if (typeof line.frame.ok === 'boolean') {
      assertSameAnswer(await client.response(), line.frame, context);
    } else if (line.frame.event === 'pin_change') {
      backend.setInputLevel(line.frame.pin as number, line.frame.value as 0 | 1);
      assertSameAnswer(await client.event('pin_change'), line.frame, context);
    } else {
      // A request the device makes on its own (a heartbeat ping): the next line answers it.
      deviceRequest = line.frame;
    }
  }
}

test('the example session, replayed against a simulated device, goes as written', async () => {
  const start = BLOCKS.findIndex((block) => isSessionBlock(block));
  const sessions = BLOCKS.slice(start).filter((block) => isSessionBlock(block) && block.notRun === undefined);
  assert.ok(sessions.length >= 4, 'the example session is there');
  const legacy = sessions.filter((block) => !block.text.includes('"id"'));
  await withDevice(async (device) => {
    const client = await LineClient.connect(device.port, { timeoutMs: WAIT_MS });
    for (const block of sessions.filter((b) => !legacy.includes(b))) await replay(block, client, device.backend);
    client.close();
    await client.closed;
    // piconetcontrol's client opens a connection of its own.
    const piconetcontrol = await LineClient.connect(device.port, { timeoutMs: WAIT_MS });
    for (const block of legacy) await replay(block, piconetcontrol, device.backend);
    piconetcontrol.close();
  });
});

function lineOf(text: string, marker: string): number {
  return text.slice(0, text.indexOf(marker)).split('\n').length;
}

test('the telemetry MAC worked example computes as written', () => {
  const text = readFileSync(FILE, 'utf8');
  const section = text.slice(text.indexOf('<a id="telemetry-example"></a>'), text.indexOf('<a id="telemetry-acks"></a>'));
  const key = /Key \(32 bytes, hex\): `([0-9a-f]{64})`/.exec(section)?.[1];
  const mac = /`HMAC-SHA256\(key, U\)` = `([0-9a-f]{64})`/.exec(section)?.[1];
  assert.ok(key && mac, 'the section names the key and the MAC');
  const first = lineOf(text, '<a id="telemetry-example"></a>');
  const last = lineOf(text, '<a id="telemetry-acks"></a>');
  const [unsigned, signed] = BLOCKS.filter((block) => block.line > first && block.line < last);
  assert.ok(unsigned && signed, 'the unsigned and the signed datagram are there');
  assert.equal(Buffer.byteLength(unsigned.text), Number(/\*U\* \((\d+) bytes\)/.exec(section)?.[1]), 'the stated length of U');
  assert.equal(createHmac('sha256', Buffer.from(key, 'hex')).update(unsigned.text).digest('hex'), mac);
  assert.equal(signed.text, `${unsigned.text.slice(0, -1)},"mac":"${mac}"}`);
  const macFor = (_device: string, bytes: string): string => createHmac('sha256', Buffer.from(key, 'hex')).update(bytes).digest('hex');
  assert.equal(parseTelemetry(signed.text, macFor).authenticated, true, 'the hub accepts the signed datagram as authenticated');
});

test('the documented hello, sent to a hub that knows pico-1 and its token, gets the documented welcome', async () => {
  const hello = BLOCKS.find((block) => block.text.startsWith('{"id":1,"action":"hello"') && block.text.includes('"token"'));
  const welcome = BLOCKS.find((block) => block.text.startsWith('{"id":1,"action":"hello"') && block.text.includes('"ok":true'));
  assert.ok(hello && welcome, 'the hello and the welcome are there');
  const frame = parseFrameLine(hello.text);
  const dir = await mkdtemp(join(tmpdir(), 'picolink-protocol-doc-'));
  const loopback = { host: '127.0.0.1', port: 0 };
  const config = parseConfig({ dataDir: dir, http: loopback, gateway: loopback, telemetry: loopback, devices: [{ id: frame.device, token: frame.token }] });
  const hub = await startHub({ config });
  try {
    const device = await LineClient.connect(hub.gatewayPort, { timeoutMs: WAIT_MS });
    assertSameAnswer(await device.request(frame), parseFrameLine(welcome.text), where(welcome));
    device.close();
  } finally {
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  }
});
