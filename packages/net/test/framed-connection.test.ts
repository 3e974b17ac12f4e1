import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { LineDecoder } from '@picolink/protocol';
import type { DecodedLine } from '@picolink/protocol';
import { FramedConnection } from '../src/framed-connection.js';
import type { FramedConnectionHandlers, FramedConnectionOptions } from '../src/framed-connection.js';

interface Pair {
  /** The server's side, wrapped. */
  connection: FramedConnection<DecodedLine>;
  /** The raw client socket talking to it. */
  client: Socket;
  received: string[][];
  events: string[];
  closed: Promise<number>;
  server: Server;
}

/** A loopback pair whose server side is a FramedConnection that answers each line with `handle`. */
async function pair(options: FramedConnectionOptions, extra: Partial<FramedConnectionHandlers<DecodedLine>> = {}, handle?: (c: FramedConnection<DecodedLine>, line: string) => void): Promise<Pair> {
  const server = createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const socket = await accepted;
  const received: string[][] = [];
  const events: string[] = [];
  let closedWith!: (dropped: number) => void;
  const closed = new Promise<number>((resolve) => (closedWith = resolve));
  const connection: FramedConnection<DecodedLine> = new FramedConnection(
    socket,
    new LineDecoder({ maxFrameBytes: 64 }),
    {
      onFrames: (frames) => {
        received.push(frames.map((f) => f.line ?? `error ${f.error?.code}`));
        for (const f of frames) if (f.line !== undefined) handle?.(connection, f.line);
        connection.flush();
      },
      onSilence: () => events.push('silence'),
      onOverflow: (bytes) => events.push(`overflow ${bytes > 0}`),
      onEnd: () => events.push('end'),
      onClose: (dropped) => closedWith(dropped),
      ...extra,
    },
    options,
  );
  return { connection, client, received, events, closed, server };
}

async function done(p: Pair): Promise<void> {
  p.client.destroy();
  p.connection.destroy();
  await p.closed;
  await new Promise((resolve) => p.server.close(resolve));
}

test('the lines one chunk completes are handed over together, and their replies leave in one write', async () => {
  const p = await pair({}, {}, (c, line) => c.queue(`re ${line}\n`));
  const writes: number[] = [];
  const write = p.connection.socket.write.bind(p.connection.socket);
  p.connection.socket.write = ((data: string) => (writes.push(data.length), write(data))) as typeof p.connection.socket.write;
  const replies = new Promise<string>((resolve) => {
    let text = '';
    p.client.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.split('\n').length > 3) resolve(text);
    });
  });
  p.client.write('a\nb\nc\n');
  assert.equal(await replies, 're a\nre b\nre c\n');
  assert.deepEqual(p.received, [['a', 'b', 'c']]);
  assert.equal(writes.length, 1, 'three replies, one write');
  await done(p);
});

test('a peer that does not read is dropped once its unsent output passes the bound', async () => {
  const p = await pair({ maxOutputBytes: 64 * 1024 });
  p.client.pause();
  const big = 'x'.repeat(16 * 1024);
  let wrote = 0;
  while (p.connection.write(big) && wrote < 10_000) wrote += 1;
  assert.ok(wrote < 10_000, 'the bound was reached');
  assert.deepEqual(p.events, ['overflow true']);
  await p.closed;
  assert.equal(p.connection.isClosed, true);
  await done(p);
});

test('silence: the timer fires after the quiet time, bytes put it off, and setSilence changes it', async () => {
  const p = await pair({ silenceMs: 80 });
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 40));
    p.client.write('{');
  }
  assert.deepEqual(p.events, [], 'bytes keep the connection from being silent');
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.deepEqual(p.events, ['silence']);
  p.connection.setSilence(0);
  await done(p);
});

test('with silenceEndsOn "frames", bytes without a complete frame do not count', async () => {
  const p = await pair({ silenceMs: 100, silenceEndsOn: 'frames' });
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 40));
    p.client.write('{');
  }
  assert.deepEqual(p.events, ['silence']);
  await done(p);
});

test('end(): what was written arrives, the FIN is seen, and a peer that never closes is destroyed after the grace time', async () => {
  const p = await pair({ closeGraceMs: 100 });
  p.client.write('{"partial');
  await new Promise((resolve) => setTimeout(resolve, 30));
  let text = '';
  p.client.on('data', (d: Buffer) => (text += d.toString()));
  const ended = new Promise<void>((resolve) => p.client.once('end', resolve));
  p.connection.write('bye\n');
  p.connection.end();
  await ended;
  assert.equal(text, 'bye\n');
  const started = performance.now();
  // The client never ends its side (allowHalfOpen on the server keeps it open): the grace time ends it.
  const dropped = await p.closed;
  assert.ok(performance.now() - started < 2000);
  assert.equal(dropped, 9, 'the unfinished frame is counted as dropped');
  await done(p);
});

test('a peer that ends its side is reported; a handler that throws ends only that connection', async () => {
  const p = await pair({}, {}, () => {
    throw new Error('bug');
  });
  p.client.write('x\n');
  await p.closed;
  assert.equal(p.connection.isClosed, true);
  await done(p);
  const q = await pair({});
  q.client.end();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(q.events, ['end']);
  await done(q);
});
