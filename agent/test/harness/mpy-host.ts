/**
 * Runs the agent inside MicroPython on WebAssembly, as one process per "board":
 *
 *   node mpy-host.js FLASH_DIR [SHIM_OPTIONS_JSON]
 *
 * FLASH_DIR (main.py, picolink/, config.json) is copied into the interpreter's file system
 * at /flash, the shims (machine, network) go to /shims, and main.start() runs with the
 * network edge of test/mpy/jsnet.py, whose sockets are Node's (the `_jsnet_host` module
 * below). What the agent prints goes to stdout. Lines on stdin are passed to
 * machine._apply() (inputs, ADC, sync), except {"mem":true}, which prints the heap in use
 * after gc.collect() as "@mem {...}"; before a sync is answered FLASH_DIR is brought up to
 * date. When the agent resets or goes into deep sleep, /flash is
 * copied back to FLASH_DIR and the process exits with code 3 or 4, so the test can start
 * the board again with the files the agent wrote (an update, a rollback).
 */
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { copyFileIn, copyIn, copyOut, JSNET_PATH, loadPython, SHIM_DIR } from './mpy.js';

interface Connection {
  socket: Socket;
  chunks: Buffer[];
  buffered: number;
  ended: boolean;
  wake?: () => void;
}

/** Unread input held per connection before the socket is paused (backpressure). */
const MAX_BUFFERED = 64 * 1024;
const MAX_DATAGRAMS = 64;

const flashDir = process.argv[2];
if (!flashDir) {
  process.stderr.write('usage: mpy-host.js FLASH_DIR [SHIM_OPTIONS_JSON]\n');
  process.exit(2);
}
const shimOptions = JSON.parse(process.argv[3] ?? '{}') as { wifi_fails?: number; heap?: number };

const mp = await loadPython({ heapBytes: shimOptions.heap ?? 256 * 1024 });
copyIn(mp.FS, flashDir, '/flash');
mp.FS.mkdirTree('/shims');
for (const name of ['machine.py', 'network.py']) copyFileIn(mp.FS, join(SHIM_DIR, name), `/shims/${name}`);
copyFileIn(mp.FS, JSNET_PATH, '/shims/jsnet.py');

const connections = new Map<number, Connection>();
let lastId = 0;

function take(c: Connection, max: number): Uint8Array {
  const parts: Buffer[] = [];
  let size = 0;
  while (c.chunks.length > 0 && size < max) {
    const chunk = c.chunks[0] as Buffer;
    const room = max - size;
    if (chunk.length <= room) {
      parts.push(chunk);
      c.chunks.shift();
      size += chunk.length;
    } else {
      parts.push(chunk.subarray(0, room));
      c.chunks[0] = chunk.subarray(room);
      size += room;
    }
  }
  c.buffered -= size;
  if (c.buffered < MAX_BUFFERED && c.socket.isPaused()) c.socket.resume();
  return new Uint8Array(Buffer.concat(parts));
}

function wakeReader(c: Connection): void {
  const wake = c.wake;
  c.wake = undefined;
  wake?.();
}

const udpSockets = new Map<number, { socket: UdpSocket; host: string; port: number; inbox: Buffer[] }>();

/** Registers a connected socket; returns its id for the Python side. */
function adopt(socket: Socket): number {
  lastId += 1;
  const id = lastId;
  const c: Connection = { socket, chunks: [], buffered: 0, ended: false };
  connections.set(id, c);
  socket.on('data', (chunk: Buffer) => {
    c.chunks.push(chunk);
    c.buffered += chunk.length;
    if (c.buffered >= MAX_BUFFERED) socket.pause();
    wakeReader(c);
  });
  const ended = (): void => {
    c.ended = true;
    wakeReader(c);
  };
  socket.on('end', ended);
  socket.on('close', () => {
    ended();
    connections.delete(id);
  });
  socket.on('error', ended);
  return id;
}

const netHost = {
  listen(host: string, port: number, onConnection: (id: number, peer: string) => void): Promise<number> {
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      onConnection(adopt(socket), socket.remoteAddress ?? '?');
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
    });
  },
  /**
   * Connects out; resolves with the connection's id, or when it fails with the negative
   * errno (libuv's numbers are Linux's: -111 is a refused connection), which the Python
   * side raises as MicroPython does, OSError(111).
   */
  connect(host: string, port: number): Promise<number> {
    return new Promise((resolve) => {
      const socket = createConnection({ host, port, allowHalfOpen: true });
      socket.once('connect', () => {
        socket.off('error', failed);
        resolve(adopt(socket));
      });
      const failed = (err: NodeJS.ErrnoException): void => resolve(typeof err.errno === 'number' && err.errno < 0 ? err.errno : -5);
      socket.once('error', failed);
    });
  },
  read(id: number, max: number): Promise<Uint8Array | null> {
    const c = connections.get(id);
    if (!c) return Promise.resolve(null);
    if (c.chunks.length > 0) return Promise.resolve(take(c, max));
    if (c.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      c.wake = () => resolve(c.chunks.length > 0 ? take(c, max) : null);
    });
  },
  write(id: number, hex: string): void {
    const c = connections.get(id);
    if (c && !c.socket.destroyed && !c.socket.writableEnded) c.socket.write(Buffer.from(hex, 'hex'));
  },
  drain(id: number): Promise<null> {
    const c = connections.get(id);
    if (!c || !c.socket.writableNeedDrain) return Promise.resolve(null);
    return new Promise((resolve) => {
      const done = (): void => {
        c.socket.off('drain', done);
        c.socket.off('close', done);
        resolve(null);
      };
      c.socket.on('drain', done);
      c.socket.on('close', done);
    });
  },
  close(id: number): void {
    const c = connections.get(id);
    if (!c) return;
    c.socket.end();
    setTimeout(() => c.socket.destroy(), 500).unref();
  },
  udp(host: string, port: number): number {
    lastId += 1;
    const socket = createSocket('udp4');
    const entry = { socket, host, port, inbox: [] as Buffer[] };
    socket.on('message', (message: Buffer) => {
      if (entry.inbox.length < MAX_DATAGRAMS) entry.inbox.push(message);
    });
    socket.on('error', () => {});
    socket.bind(0, '127.0.0.1');
    udpSockets.set(lastId, entry);
    return lastId;
  },
  udp_send(id: number, hex: string): void {
    const entry = udpSockets.get(id);
    entry?.socket.send(Buffer.from(hex, 'hex'), entry.port, entry.host);
  },
  udp_recv(id: number): Uint8Array | null {
    const message = udpSockets.get(id)?.inbox.shift();
    return message === undefined ? null : new Uint8Array(message);
  },
};

function exit(code: number): void {
  // The board's flash outlives the process: write back what the agent changed.
  copyOut(mp.FS, '/flash', flashDir as string);
  process.stdout.write('', () => process.exit(code));
}

mp.registerJsModule('_jsnet_host', netHost);
mp.registerJsModule('_board_host', { exit });

mp.runPython(`
import sys, os, gc
sys.path.insert(0, '/shims')
sys.path.insert(0, '/flash')
os.chdir('/flash')
import machine, network, jsnet, _board_host
# What a board has in ROM or as C modules costs its heap nothing: import it all before
# the baseline, so the figures below are the agent's own.
import asyncio, json, binascii, hashlib, math, random, time, collections, io, deflate
machine._exit = _board_host.exit
network._FAILS = ${Number(shimOptions.wifi_fails ?? 0)}
gc.collect()
_baseline = gc.mem_alloc()

def _mem():
    gc.collect()
    gc.collect()
    a = gc.mem_alloc()
    print('@mem {"alloc": %d, "free": %d, "baseline": %d, "agent": %d}' % (a, gc.mem_free(), _baseline, a - _baseline))
`);

const apply = mp.pyimport('machine')._apply as (line: string) => void;
const mem = mp.pyimport('__main__')._mem as () => void;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  const command = JSON.parse(line) as { mem?: boolean; sync?: number };
  if (command.mem === true) mem();
  else {
    // Before answering a sync, the disk copy of the flash catches up with the agent's writes.
    if (command.sync !== undefined) copyOut(mp.FS, '/flash', flashDir);
    apply(line);
  }
}).on('close', () => process.exit(0));

mp.runPython(`
import asyncio, main
asyncio.create_task(main.start(jsnet))
`);
