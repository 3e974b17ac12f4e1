/**
 * Fuzz sessions over a TCP line protocol (a device's control port, the hub's dial-home
 * gateway). A batch of frames goes out as fuzzed writes, then a sentinel request the
 * target must answer on the same connection; every line that came back before the
 * sentinel's answer is checked by the oracle. A target may close a connection after a bad
 * frame (the session then rejects, and the campaign opens another).
 *
 * `oneShot` is for a gateway before hello: its first frame decides the connection's fate,
 * so each input gets its own connection, followed by a second frame that is never a valid
 * hello (so a blank first frame cannot leave the connection waiting for the hello timeout);
 * the session waits for the target to close it, at most ONE_SHOT_WAIT_MS.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { SessionRefusedError } from './campaign.js';
import type { FuzzProblem, FuzzSession } from './campaign.js';
import type { FuzzFrame } from './frames.js';
import { excerpt, replyLineProblem } from './oracle.js';
import { FuzzRandom } from './random.js';
import { frameWrites } from './stream.js';

const ONE_SHOT_WAIT_MS = 3000;
/** Reply lines kept per connection while waiting for a sentinel. */
const MAX_PENDING_LINES = 100_000;

export interface LineSessionOptions {
  port: number;
  seed: number;
  /** Frame `index` of the campaign. */
  frame(index: number): FuzzFrame;
  /** Sent once on each new connection before any input (a hello), with the reply that accepts it. */
  greeting?: { line: string; accepted(message: Record<string, unknown>): boolean };
  /** One connection per input (a gateway before hello). */
  oneShot?: boolean;
}

let sentinelCount = 0;

/** A TCP connection carrying lines both ways (exported for the fuzzer's own test). */
export class LineConnection {
  readonly lines: string[] = [];
  private buffer = '';
  private waiter: (() => void) | undefined;
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      let end: number;
      while ((end = this.buffer.indexOf('\n')) !== -1) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 1);
        if (line.trim() !== '' && this.lines.length < MAX_PENDING_LINES) this.lines.push(line);
      }
      this.waiter?.();
    });
    socket.on('error', () => {
      // A reset is how a connection may end; `closed` says so.
    });
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.waiter?.();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<LineConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => {
        socket.off('error', reject);
        resolve(new LineConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Resolves when a line satisfies `match` (removing the lines up to and including it) or the connection closes. */
  async until(match: (line: string) => boolean): Promise<{ before: string[]; found: boolean }> {
    for (;;) {
      const at = this.lines.findIndex(match);
      if (at !== -1) return { before: this.lines.splice(0, at + 1).slice(0, -1), found: true };
      if (this.closed) return { before: this.lines.splice(0), found: false };
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }

  async write(chunks: readonly Buffer[]): Promise<void> {
    for (let i = 0; i < chunks.length && !this.closed; i++) {
      this.socket.write(chunks[i] as Buffer);
      // A turn of the event loop between writes, so they leave as separate segments.
      if (i < chunks.length - 1) await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export class LineSession implements FuzzSession {
  private connection: LineConnection | undefined;
  private batches = 0;

  constructor(private readonly options: LineSessionOptions) {}

  async send(indices: readonly number[], options: { plain?: boolean } = {}): Promise<FuzzProblem[]> {
    return this.options.oneShot ? this.sendOneShot(indices, options.plain === true) : this.sendBatch(indices, options.plain === true);
  }

  close(): void {
    this.connection?.socket.destroy();
    this.connection = undefined;
  }

  private check(lines: readonly string[], indices: readonly number[]): FuzzProblem[] {
    const problems: FuzzProblem[] = [];
    for (const line of lines) {
      const problem = replyLineProblem(line);
      if (problem) problems.push({ kind: 'bad reply', detail: problem, inputs: [...indices], sample: excerpt(line) });
    }
    return problems;
  }

  private async openConnection(): Promise<LineConnection> {
    if (this.connection && !this.connection.closed) return this.connection;
    const connection = await LineConnection.open(this.options.port);
    this.connection = connection;
    const greeting = this.options.greeting;
    if (greeting) {
      connection.socket.write(greeting.line);
      const { before, found } = await connection.until((line) => {
        const message = parseObject(line);
        return message !== undefined && greeting.accepted(message);
      });
      if (!found) throw new SessionRefusedError(`the greeting was refused: ${excerpt(before.join('\n'))}`);
    }
    return connection;
  }

  private async sendBatch(indices: readonly number[], plain: boolean): Promise<FuzzProblem[]> {
    const connection = await this.openConnection();
    const frames = indices.map((i) => this.options.frame(i));
    const rng = new FuzzRandom(this.options.seed ^ 0x5eed, indices[0] ?? 0);
    const writes = frameWrites(rng, frames, plain);
    const id = `fuzz-sentinel-${++sentinelCount}`;
    const sentinel = Buffer.from(`{"id":"${id}","action":"ping"}\n`);
    await connection.write([...writes.chunks, sentinel]);
    const { before, found } = await connection.until((line) => line.includes(`"${id}"`) && line.includes('"ok":true'));
    const problems = this.check(before, indices);
    this.batches += 1;
    if (!found) {
      // Closed by the target: what came before still counts; the campaign opens another connection.
      if (problems.length > 0) return problems;
      throw new Error(`connection closed by the target (batch ${this.batches})`);
    }
    return problems;
  }

  private async sendOneShot(indices: readonly number[], plain: boolean): Promise<FuzzProblem[]> {
    const problems: FuzzProblem[] = [];
    for (const index of indices) {
      const connection = await LineConnection.open(this.options.port);
      try {
        const frame = this.options.frame(index);
        const rng = new FuzzRandom(this.options.seed ^ 0x5eed, index);
        const writes = frameWrites(rng, [frame], plain);
        await connection.write([...writes.chunks, Buffer.from('{"action":"not-a-hello"}\n')]);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([connection.closedPromise, new Promise((resolve) => (timer = setTimeout(resolve, ONE_SHOT_WAIT_MS)))]);
        clearTimeout(timer);
        const lines = connection.lines.splice(0);
        for (const problem of this.check(lines, [index])) problems.push(problem);
        if (!connection.closed && !lines.some((line) => line.includes('"server_time"'))) {
          problems.push({ kind: 'not closed', detail: 'the connection stayed open after a refused first frame', inputs: [index], sample: excerpt(lines.join('\n')) });
        }
      } finally {
        connection.socket.destroy();
      }
    }
    return problems;
  }
}
