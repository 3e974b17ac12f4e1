/**
 * `npm run bench -- commands`: sequential round trip (p50, p99) and pipelined commands
 * per second against the simulated device, each beside a minimal line-echo server
 * measured in the same run with the same client code.
 * Targets (issue "Foundation"): sequential round trip within 1.2× of the echo server;
 * pipelined ≥ 200,000 commands/s on one connection.
 */
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { LineDecoder } from '@picolink/protocol';
import { connect } from '@picolink/client';
import { startServerProcess } from './servers.js';

const SEQUENTIAL_COUNT = 5_000;
const PIPELINED_COUNT = 200_000;
const PIPELINE_WINDOW = 2_000;
const TIME_LIMIT_MS = 20_000;

/** A raw line client: the same code measures the device and the echo server. */
class LineClient {
  private readonly decoder = new LineDecoder();
  private waiters: ((count: number) => void)[] = [];
  private received = 0;
  private target = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received += this.decoder.push(chunk).length;
      if (this.received >= this.target) {
        const waiters = this.waiters;
        this.waiters = [];
        for (const wake of waiters) wake(this.received);
      }
    });
  }

  static open(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: '127.0.0.1', port }, () => {
        socket.setNoDelay(true);
        resolve(new LineClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends text and resolves once `lines` more response lines have arrived in total. */
  sendAndWait(text: string, lines: number): Promise<number> {
    this.target = this.received + lines;
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.socket.write(text);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function sequential(port: number): Promise<{ p50: number; p99: number; count: number }> {
  const client = await LineClient.open(port);
  const samples: number[] = [];
  const deadline = Date.now() + TIME_LIMIT_MS;
  for (let i = 0; i < SEQUENTIAL_COUNT && Date.now() < deadline; i++) {
    const start = process.hrtime.bigint();
    await client.sendAndWait(`{"id":${i},"action":"ping"}\n`, 1);
    samples.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  client.close();
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), count: samples.length };
}

export async function pipelined(port: number): Promise<{ perSecond: number; count: number }> {
  const client = await LineClient.open(port);
  const start = process.hrtime.bigint();
  const deadline = Date.now() + TIME_LIMIT_MS;
  let sent = 0;
  while (sent < PIPELINED_COUNT && Date.now() < deadline) {
    let batch = '';
    const n = Math.min(PIPELINE_WINDOW, PIPELINED_COUNT - sent);
    for (let i = 0; i < n; i++) batch += `{"id":${sent + i},"action":"ping"}\n`;
    await client.sendAndWait(batch, n);
    sent += n;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  client.close();
  return { perSecond: sent / seconds, count: sent };
}

async function sdkSequential(port: number): Promise<{ p50: number; p99: number }> {
  const device = await connect(`tcp://127.0.0.1:${port}`);
  const samples: number[] = [];
  for (let i = 0; i < 2_000; i++) samples.push((await device.ping()) * 1000);
  await device.close();
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);

export async function benchCommands(): Promise<void> {
  const echo = await startServerProcess('echo');
  const device = await startServerProcess('device');
  try {
    // Warm both up so JIT compilation is not measured.
    await pipelined(echo.port);
    await pipelined(device.port);
    const echoSeq = await sequential(echo.port);
    const deviceSeq = await sequential(device.port);
    const echoPipe = await pipelined(echo.port);
    const devicePipe = await pipelined(device.port);
    const sdk = await sdkSequential(device.port);
    const rows = [
      ['sequential p50 (µs)', fmt(deviceSeq.p50), fmt(echoSeq.p50), `${fmt(deviceSeq.p50 / echoSeq.p50, 2)}×`, '≤ 1.2×'],
      ['sequential p99 (µs)', fmt(deviceSeq.p99), fmt(echoSeq.p99), `${fmt(deviceSeq.p99 / echoSeq.p99, 2)}×`, ''],
      ['pipelined (commands/s)', fmt(devicePipe.perSecond, 0), fmt(echoPipe.perSecond, 0), `${fmt(devicePipe.perSecond / echoPipe.perSecond, 2)}×`, '≥ 200,000/s'],
      ['SDK ping p50 / p99 (µs)', `${fmt(sdk.p50)} / ${fmt(sdk.p99)}`, '', '', ''],
    ];
    const widths = [26, 16, 16, 8, 12];
    const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' ');
    console.log(line(['measure', 'picolink device', 'echo server', 'ratio', 'target']));
    for (const row of rows) console.log(line(row));
    console.log(`(${deviceSeq.count} sequential and ${devicePipe.count} pipelined pings each; 2 cores shared, figures vary between runs)`);
  } finally {
    await device.stop();
    await echo.stop();
  }
}
