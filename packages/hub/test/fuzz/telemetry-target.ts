/**
 * The hub's telemetry UDP port as a fuzz target (docs/fuzzing.md): datagrams mutated
 * from the telemetry vectors and from datagrams of the hub's own devices, some signed
 * with the probe device's real key (so they get past the MAC check to the checks after
 * it). After each batch a valid datagram asking for an ack (device `fuzz-N`, its own boot,
 * the next sequence number) must be acknowledged: that paces the fuzzer and shows the
 * ingest still works. Any datagram that comes back must be a well-formed JSON object.
 */
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { describeFrame, excerpt, fuzzFrame, inputRandom, loadSeeds, replyLineProblem } from '@picolink/test-kit/fuzz';
import type { FuzzFrame, FuzzProblem, FuzzSession, FuzzTarget, TargetProcess } from '@picolink/test-kit/fuzz';
import { FUZZ_DEVICES, PROBE_DEVICE, PROBE_TELEMETRY_KEY } from './hub-process.js';
import { hubProbe } from './hub-probe.js';
import { startHubTarget } from './hub-start.js';

/** Largest datagram sent: past the protocol's 4096 bytes, under UDP's own limit. */
const MAX_DATAGRAM_SENT = 60_000;
const ACK_TIMEOUT_MS = 2000;
const KEY = Buffer.from(PROBE_TELEMETRY_KEY, 'hex');

/** The datagram of input `index`: a fuzzed frame, signed with the probe's key two times in five. */
export function fuzzDatagram(seed: number, index: number, seeds: ReadonlyArray<Record<string, unknown>>): FuzzFrame {
  const frame = fuzzFrame(seed, index, seeds, { maxBytes: MAX_DATAGRAM_SENT, oversizeRate: 0.002 });
  const rng = inputRandom(seed ^ 0x7e1e, index);
  const bytes = frame.bytes;
  if (rng.chance(0.4) && bytes.length > 1 && bytes[bytes.length - 1] === 0x7d) {
    const mac = createHmac('sha256', KEY).update(bytes).digest('hex');
    return { ...frame, mutation: frame.mutation + '+signed', bytes: Buffer.concat([bytes.subarray(0, -1), Buffer.from(`,"mac":"${mac}"}`)]) };
  }
  return frame;
}

function datagramSeeds(): Array<Record<string, unknown>> {
  const own = [PROBE_DEVICE, 'fuzz-0', 'pico-1', 'unknown-device'].map((device, i) => ({ v: 1, device, boot: 7 + i, seq: 1, t: 1000, time: 1_700_000_000_000, readings: { temp_c: 21.5, adc0: 0.5 }, ack: true }));
  return [...loadSeeds().datagrams, ...own];
}

let sessions = 0;

class TelemetrySession implements FuzzSession {
  private readonly device = `fuzz-${sessions++ % FUZZ_DEVICES}`;
  private readonly boot = Math.floor(Math.random() * 0xffff_fff0);
  private seq = 0;
  private readonly received: Buffer[] = [];
  private waiter: (() => void) | undefined;

  private constructor(
    private readonly socket: UdpSocket,
    private readonly port: number,
    private readonly datagram: (index: number) => FuzzFrame,
  ) {
    socket.on('message', (message: Buffer) => {
      this.received.push(message);
      this.waiter?.();
    });
  }

  static async open(target: TargetProcess, datagram: (index: number) => FuzzFrame): Promise<TelemetrySession> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new TelemetrySession(socket, target.port('telemetryPort'), datagram);
  }

  private sendOne(bytes: Buffer): Promise<void> {
    return new Promise((resolve) => this.socket.send(bytes, this.port, '127.0.0.1', () => resolve()));
  }

  async send(indices: readonly number[]): Promise<FuzzProblem[]> {
    for (const index of indices) await this.sendOne(this.datagram(index).bytes);
    this.seq += 1;
    const seq = this.seq;
    await this.sendOne(Buffer.from(JSON.stringify({ v: 1, device: this.device, boot: this.boot, seq, t: seq, readings: { fuzz: seq }, ack: true })));
    const problems: FuzzProblem[] = [];
    const deadline = Date.now() + ACK_TIMEOUT_MS;
    for (;;) {
      for (const message of this.received.splice(0)) {
        const text = message.toString('utf8');
        const problem = replyLineProblem(text);
        if (problem) {
          problems.push({ kind: 'bad datagram back', detail: problem, inputs: [...indices], sample: excerpt(text) });
          continue;
        }
        const ack = JSON.parse(text) as Record<string, unknown>;
        if (ack.device === this.device && ack.boot === this.boot && ack.ack === seq) return problems;
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    problems.push({ kind: 'no ack', detail: `a valid datagram asking for an ack got none within ${ACK_TIMEOUT_MS} ms`, inputs: [...indices] });
    return problems;
  }

  close(): void {
    this.socket.close();
  }
}

export function telemetryFuzzTarget(seed: number): FuzzTarget {
  const seeds = datagramSeeds();
  const datagram = (index: number) => fuzzDatagram(seed, index, seeds);
  return {
    name: 'hub telemetry (UDP)',
    start: startHubTarget,
    open: (target) => TelemetrySession.open(target, datagram),
    probe: hubProbe,
    describe: (index) => describeFrame(datagram(index)),
  };
}

