/**
 * A UDP sender in its own process, for tests that measure what the receiving process
 * spends: `node udp-blaster.js` (forked) takes its options as its first IPC message, sends `count` datagrams,
 * cycling through `payloads`, to 127.0.0.1:port at `ratePerSecond` in 1 ms rounds (at most
 * `timeLimitMs`), then reports `{ sent }` and exits.
 */
import { createSocket } from 'node:dgram';

export interface BlasterOptions {
  port: number;
  payloads: string[];
  count: number;
  ratePerSecond: number;
  timeLimitMs: number;
}

const options = await new Promise<BlasterOptions>((resolve) => process.once('message', (message) => resolve(message as BlasterOptions)));
const payloads = options.payloads.map((text) => Buffer.from(text));
const socket = createSocket('udp4');
await new Promise<void>((resolve) => socket.connect(options.port, '127.0.0.1', resolve));
socket.on('error', () => {});
const started = performance.now();
let sent = 0;
while (sent < options.count && performance.now() - started < options.timeLimitMs) {
  const due = Math.min(options.count, Math.floor(((performance.now() - started) * options.ratePerSecond) / 1000));
  for (; sent < due; sent++) socket.send(payloads[sent % payloads.length] as Buffer);
  await new Promise((resolve) => setTimeout(resolve, 1));
}
process.send?.({ sent }, () => {
  socket.close();
  process.exit(0);
});
