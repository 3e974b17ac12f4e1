/**
 * Tutorial A (embassy-net on the Pico W), device side, in TypeScript: the program a Linux
 * board (or this computer, standing in for the Pico) runs against `picolink serve hello`.
 *
 * 1. Start-up exchange over TCP, which must succeed: send "test", expect "hello, test".
 *    A failure is retried after a pause instead of crashing (the tutorial's "no panicking
 *    unwraps on I/O").
 * 2. Telemetry over UDP: every interval send "test", and read a reply only if one is
 *    already waiting. A lost datagram or reply never holds the loop up.
 *
 * Run: node examples/dist/a-hello-tcp-udp/device-client.js --host 192.168.1.10 [--port 9932]
 */
import { TcpClient, UdpClient } from '@picolink/client';
import { isMain, numberOption, options, pause, stopSignal } from '../support/program.js';

export interface HelloDeviceOptions {
  /** The computer running `picolink serve hello`. */
  host: string;
  /** Its TCP and UDP port. Default 9932. */
  port?: number;
  /** What is sent, over TCP once and then over UDP. Default "test". */
  message?: string;
  /** Time between UDP sends, in ms. Default 2000. */
  intervalMs?: number;
  /** Stop after this many UDP sends. Default: run until `signal` aborts. */
  count?: number;
  /** How long the TCP reply may take, in ms. Default 3000. */
  replyTimeoutMs?: number;
  /** Start-up attempts before giving up. Default: keep trying. */
  startupAttempts?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface HelloDeviceReport {
  /** The server's answer to the TCP start-up message, or undefined if none came. */
  tcpReply: string | undefined;
  /** UDP datagrams sent. */
  sent: number;
  /** UDP replies read, in order. */
  replies: string[];
}

/** The start-up exchange: one TCP connection, one message, one reply. */
async function startupExchange(options: Required<Pick<HelloDeviceOptions, 'host' | 'port' | 'message' | 'replyTimeoutMs'>>, log: (line: string) => void): Promise<string | undefined> {
  // The tutorial's server answers each read (no delimiter): `none` takes each read as a message.
  const client = new TcpClient(options.host, options.port, (state, msg, error) => {
    if (state === 'CONNECTION_FAILED') log(`tcp: ${error?.message ?? `cannot connect to ${msg}`}`);
  }, { delimiter: 'none', occupiedCheckMs: 0 });
  if (!(await client.connect())) return undefined;
  try {
    const reply = await client.sendAndWait(options.message, options.replyTimeoutMs);
    if (reply === undefined) log(`tcp: no reply within ${options.replyTimeoutMs} ms`);
    return reply;
  } finally {
    client.disconnect();
  }
}

export async function runHelloDevice(options: HelloDeviceOptions): Promise<HelloDeviceReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const settings = { host: options.host, port: options.port ?? 9932, message: options.message ?? 'test', replyTimeoutMs: options.replyTimeoutMs ?? 3000 };
  const intervalMs = options.intervalMs ?? 2000;
  const report: HelloDeviceReport = { tcpReply: undefined, sent: 0, replies: [] };

  for (let attempt = 1; report.tcpReply === undefined; attempt++) {
    if (options.signal?.aborted) return report;
    report.tcpReply = await startupExchange(settings, log);
    if (report.tcpReply !== undefined) log(`tcp: ${report.tcpReply}`);
    else if (options.startupAttempts !== undefined && attempt >= options.startupAttempts) return report;
    else await pause(intervalMs, options.signal);
  }

  const udp = await UdpClient.open(settings.host, settings.port);
  const readWaiting = (): void => {
    // Non-blocking: only what has already arrived.
    for (let reply = udp.poll(); reply !== undefined; reply = udp.poll()) {
      report.replies.push(reply.text);
      log(`udp: ${reply.text}`);
    }
  };
  try {
    while (!options.signal?.aborted && (options.count === undefined || report.sent < options.count)) {
      readWaiting();
      udp.send(settings.message);
      report.sent += 1;
      await pause(intervalMs, options.signal);
    }
    readWaiting();
  } finally {
    await udp.close();
  }
  return report;
}

if (isMain(import.meta.url)) {
  const args = options(['host', 'port', 'message', 'interval', 'count']);
  if (!args.host) {
    console.error('usage: node device-client.js --host COMPUTER [--port 9932] [--message test] [--interval 2000] [--count N]');
    process.exit(2);
  }
  const report = await runHelloDevice({
    host: args.host,
    port: numberOption(args.port, 9932),
    intervalMs: numberOption(args.interval, 2000),
    ...(args.message !== undefined ? { message: args.message } : {}),
    ...(args.count !== undefined ? { count: numberOption(args.count, 0) } : {}),
    signal: stopSignal(),
  });
  console.log(`sent ${report.sent} datagrams, read ${report.replies.length} replies`);
}
