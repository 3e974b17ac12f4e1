/**
 * A telemetry sender in its own process, for the "ack means stored" trials: `node
 * ack-sender.js OPTIONS_JSON` (forked, with IPC) sends datagrams asking for an ack to
 * 127.0.0.1:port at `ratePerSecond`, each holding its own sequence number as the reading
 * `seq`, and records every ack it receives and how long after the send it came. It sends
 * until `count` datagrams or `timeLimitMs`, or until the parent sends `{ cmd: "stop" }`,
 * then reports `{ sent, acked, latenciesMs }` and exits. Meanwhile it reports
 * `{ progress: acks so far }` every 50 ms. It never resends: the trial asks
 * only whether what was acked is stored.
 */
import { createSocket } from 'node:dgram';
import { parseTelemetryAck } from '@picolink/protocol';

export interface AckSenderOptions {
  port: number;
  device: string;
  boot: number;
  ratePerSecond: number;
  count: number;
  timeLimitMs: number;
}

export interface AckSenderReport {
  sent: number;
  /** Sequence numbers acknowledged. */
  acked: number[];
  /** Time from send to ack of each acknowledged datagram, in ms. */
  latenciesMs: number[];
}

const options = JSON.parse(process.argv[2] ?? '{}') as AckSenderOptions;
const socket = createSocket('udp4');
await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
const sentAt = new Float64Array(options.count);
const acked: number[] = [];
const latenciesMs: number[] = [];
const seen = new Uint8Array(options.count);
socket.on('message', function senderOnAck(data) {
  const now = performance.now();
  try {
    const { message } = parseTelemetryAck(data.toString('utf8'));
    const seq = message.ack;
    if (message.device !== options.device || message.boot !== options.boot || seq >= options.count || seen[seq] === 1) return;
    seen[seq] = 1;
    acked.push(seq);
    latenciesMs.push(now - (sentAt[seq] ?? now));
  } catch {
    // Not an ack for this trial.
  }
});

let sent = 0;
let stopped = false;
process.send?.({ started: true });
const progress = setInterval(() => process.send?.({ progress: acked.length }), 50);
process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'stop') stopped = true;
});
const started = performance.now();
const now = Date.now();
while (!stopped && sent < options.count && performance.now() - started < options.timeLimitMs) {
  const due = Math.min(options.count, Math.floor(((performance.now() - started) * options.ratePerSecond) / 1000));
  for (; sent < due; sent++) {
    const text = `{"v":1,"device":"${options.device}","boot":${options.boot},"seq":${sent},"t":${sent},"time":${now + sent},"readings":{"seq":${sent}},"ack":true}`;
    sentAt[sent] = performance.now();
    socket.send(text, options.port, '127.0.0.1');
  }
  await new Promise((resolve) => setTimeout(resolve, 1));
}
// Acks for the last datagrams may still be on their way.
await new Promise((resolve) => setTimeout(resolve, 200));
clearInterval(progress);
const report: AckSenderReport = { sent, acked, latenciesMs };
process.send?.(report, () => {
  socket.close();
  process.exit(0);
});
