/**
 * A client that behaves like piconetcontrol's (reference/piconetcontrol.md): Python-style
 * JSON (`{"a": 1, "b": "x"}`) with the string values its CLI sends, `time_sent` in ns and
 * no `id`, one request at a time on one connection, the last one followed by an empty
 * line, and a 3 s timeout per command. TLS without certificate checks unless `--no-ssl`.
 */
import { connect as tcpConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export type Command = Record<string, unknown>;

/** json.dumps with Python's default separators. */
export function pythonDumps(value: unknown): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pythonDumps(v)}`).join(', ')}}`;
  }
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/** time.time_ns(): larger than a double holds exactly, as Python sends it. */
function timeNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000));
}

export class PiconetcontrolClient {
  constructor(
    private readonly port: number,
    private readonly useSsl: boolean,
  ) {}

  /** Client.send_commands: every command on one connection, each waiting for its response. */
  async sendCommands(commands: Command[]): Promise<Record<string, unknown>[]> {
    const socket = await this.open();
    try {
      const responses: Record<string, unknown>[] = [];
      for (const [index, command] of commands.entries()) {
        const last = index === commands.length - 1;
        socket.write(pythonDumps({ ...command, time_sent: timeNs() }) + '\n' + (last ? '\n' : ''));
        const response = JSON.parse(await this.readResponse(socket)) as Record<string, unknown>;
        response.time_responded = Date.now() * 1e6;
        responses.push(response);
      }
      return responses;
    } finally {
      socket.destroy();
    }
  }

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket: Socket = this.useSsl
        ? tlsConnect({ port: this.port, host: '127.0.0.1', rejectUnauthorized: false }, () => resolve(socket))
        : tcpConnect({ port: this.port, host: '127.0.0.1' }, () => resolve(socket));
      socket.once('error', reject);
    });
  }

  /** Reads until what arrived ends with a newline, as its client does. */
  private readResponse(socket: Socket): Promise<string> {
    return new Promise((resolve, reject) => {
      let buffer = '';
      const timer = setTimeout(() => finish(new Error('timed out after 3 s')), 3000);
      const onData = (chunk: Buffer): void => {
        buffer += chunk.toString('utf8');
        if (buffer.endsWith('\n')) finish();
      };
      const onClose = (): void => finish(new Error(`connection closed; got ${JSON.stringify(buffer)}`));
      function finish(err?: Error): void {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        if (err) reject(err);
        else resolve(buffer);
      }
      socket.on('data', onData);
      socket.on('close', onClose);
    });
  }
}
