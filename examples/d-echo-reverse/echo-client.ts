/**
 * Tutorial D (Rust std networking), client side: connect, send one message, print the
 * reply, with a read timeout and errors reported instead of unwrapped. The server is
 * `picolink serve echo` on the computer, or the tutorial's own thread-per-client server.
 *
 * Run: node examples/dist/d-echo-reverse/echo-client.js --host HOST --port PORT --message "hello"
 */
import { TcpClient } from '@picolink/client';
import type { PicolinkError } from '@picolink/protocol';
import { isMain, numberOption, options } from '../support/program.js';

export interface EchoResult {
  reply?: string;
  /** Why there is no reply: could not connect, or nothing came within the timeout. */
  error?: string;
}

export async function sendOverTcp(host: string, port: number, message: string, readTimeoutMs = 3000): Promise<EchoResult> {
  let failure: PicolinkError | undefined;
  // The tutorial's echo server writes back what each read returned: no delimiter.
  const client = new TcpClient(host, port, (state, _msg, error) => {
    if (state === 'CONNECTION_FAILED') failure = error;
  }, { delimiter: 'none', occupiedCheckMs: 0, connectTimeoutMs: readTimeoutMs });
  if (!(await client.connect())) return { error: failure?.message ?? `cannot connect to ${client.target}` };
  try {
    const reply = await client.sendAndWait(message, readTimeoutMs);
    return reply === undefined ? { error: `no reply from ${client.target} within ${readTimeoutMs} ms` } : { reply };
  } finally {
    client.disconnect();
  }
}

if (isMain(import.meta.url)) {
  const args = options(['host', 'port', 'message', 'timeout']);
  if (!args.host || !args.port) {
    console.error('usage: node echo-client.js --host HOST --port PORT [--message TEXT] [--timeout MS]');
    process.exit(2);
  }
  const result = await sendOverTcp(args.host, numberOption(args.port, 0), args.message ?? 'hello', numberOption(args.timeout, 3000));
  if (result.reply !== undefined) console.log(result.reply);
  else console.error(result.error);
  process.exitCode = result.reply !== undefined ? 0 : 3;
}
