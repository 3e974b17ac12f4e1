/**
 * A `hub://` device link as a fuzz target (docs/fuzzing.md): the WebSocket
 * `/api/devices/probe/link` with the API token. A batch of fuzzed frames goes out as
 * messages cut the way a TCP stream would be (several frames in one message, a frame
 * split over two), text or binary, then a ping the hub answers itself; every line that
 * came back before that answer is checked by the oracle.
 */
import { describeFrame, excerpt, frameWrites, FuzzRandom, fuzzFrame, replyLineProblem, SessionRefusedError } from '@picolink/test-kit/fuzz';
import type { FuzzProblem, FuzzSession, FuzzTarget, TargetProcess } from '@picolink/test-kit/fuzz';
import { WebSocket } from 'ws';
import { PROBE_DEVICE } from './hub-process.js';
import { hubProbe, hubRequestSeeds } from './hub-probe.js';
import { startHubTarget } from './hub-start.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
let sentinels = 0;

function isUtf8(bytes: Buffer): boolean {
  try {
    UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

class LinkSession implements FuzzSession {
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly seed: number,
    private readonly frame: (index: number) => ReturnType<typeof fuzzFrame>,
  ) {
    ws.on('message', (data: Buffer) => {
      for (const line of data.toString('utf8').split('\n')) if (line.trim() !== '') this.lines.push(line);
      this.waiter?.();
    });
    ws.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    ws.on('error', () => {
      // A refused or broken link ends in `close`.
    });
  }

  static open(target: TargetProcess, seed: number, frame: (index: number) => ReturnType<typeof fuzzFrame>): Promise<LinkSession> {
    const ws = new WebSocket(`ws://127.0.0.1:${target.port('httpPort')}/api/devices/${PROBE_DEVICE}/link`, {
      headers: { authorization: `Bearer ${String(target.info.token)}` },
      maxPayload: 4 * 1024 * 1024,
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new LinkSession(ws, seed, frame)));
      ws.once('unexpected-response', (_request, response) => {
        ws.terminate();
        reject(new SessionRefusedError(`the link upgrade was refused with HTTP ${response.statusCode ?? '?'}`));
      });
      ws.once('error', reject);
    });
  }

  async send(indices: readonly number[], options: { plain?: boolean } = {}): Promise<FuzzProblem[]> {
    const plain = options.plain === true;
    const rng = new FuzzRandom(this.seed ^ 0x11c, indices[0] ?? 0);
    const writes = frameWrites(rng, indices.map((i) => this.frame(i)), plain);
    for (const chunk of writes.chunks) {
      if (this.closed) break;
      // Text when it is UTF-8 (as the SDK sends), else binary or, sometimes, text anyway
      // (which the WebSocket layer refuses, closing the link).
      this.ws.send(chunk, { binary: !isUtf8(chunk) && (plain || rng.chance(0.7)) });
    }
    const id = `fuzz-sentinel-${++sentinels}`;
    if (!this.closed) this.ws.send(`{"id":"${id}","action":"ping"}`);
    const problems: FuzzProblem[] = [];
    for (;;) {
      const at = this.lines.findIndex((line) => line.includes(`"${id}"`));
      const before = this.lines.splice(0, at === -1 ? this.lines.length : at + 1);
      for (const line of before) {
        const problem = replyLineProblem(line);
        if (problem) problems.push({ kind: 'bad reply', detail: problem, inputs: [...indices], sample: excerpt(line) });
      }
      if (at !== -1) return problems;
      if (this.closed) {
        if (problems.length > 0) return problems;
        throw new Error('the link was closed by the hub');
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }

  close(): void {
    this.ws.terminate();
  }
}

export function linkFuzzTarget(seed: number): FuzzTarget {
  const requests = hubRequestSeeds();
  const frame = (index: number) => fuzzFrame(seed, index, requests);
  return {
    name: 'hub:// device link (WebSocket)',
    start: startHubTarget,
    open: (target) => LinkSession.open(target, seed, frame),
    probe: hubProbe,
    describe: (index) => describeFrame(frame(index)),
  };
}
