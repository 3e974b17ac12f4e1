/**
 * Tutorial E (Freenove Pico W kit), "TCP as client", device side: connect to the server
 * on the computer, say hello, then print whatever arrives and send it back. On an error
 * it closes the socket and stops.
 *
 * Computer side: `picolink term listen tcp 8888` (type lines; the board echoes them).
 * Run: node examples/dist/e-freenove-tcp/device-tcp-client.js --host COMPUTER [--port 8888]
 */
import { TcpClient } from '@picolink/client';
import { isMain, numberOption, options, stopSignal } from '../support/program.js';

export interface FreenoveClientOptions {
  host: string;
  /** Default 8888. */
  port?: number;
  /** Sent once after connecting. Default "Hello, I am the Pico W". Empty: nothing. */
  greeting?: string;
  /** Stop after echoing this many messages. Default: until the server closes or `signal` aborts. */
  maxMessages?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** Resolves with the number of messages echoed once the connection is over. */
export async function runFreenoveClient(options: FreenoveClientOptions): Promise<number> {
  const log = options.log ?? ((line: string) => console.log(line));
  let echoed = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  // The Freenove sketch reads whatever arrives and writes it back: no delimiter.
  const client = new TcpClient(options.host, options.port ?? 8888, (state, msg, error) => {
    if (state === 'MESSAGE') {
      log(`received: ${msg}`);
      client.sendMessage(msg);
      echoed += 1;
      if (options.maxMessages !== undefined && echoed >= options.maxMessages) client.disconnect();
      return;
    }
    log(`${state.toLowerCase().replace('_', ' ')} ${msg}${error ? `: ${error.message}` : ''}`.trim());
    if (state === 'DISCONNECTED' || state === 'CONNECTION_FAILED') done();
  }, { delimiter: 'none', occupiedCheckMs: 0 });
  options.signal?.addEventListener('abort', () => client.disconnect(), { once: true });
  if (await client.connect()) {
    const greeting = options.greeting ?? 'Hello, I am the Pico W';
    if (greeting !== '') client.sendMessage(greeting);
  }
  await finished;
  return echoed;
}

if (isMain(import.meta.url)) {
  const args = options(['host', 'port', 'greeting']);
  if (!args.host) {
    console.error('usage: node device-tcp-client.js --host COMPUTER [--port 8888] [--greeting TEXT]');
    process.exit(2);
  }
  await runFreenoveClient({ host: args.host, port: numberOption(args.port, 8888), ...(args.greeting !== undefined ? { greeting: args.greeting } : {}), signal: stopSignal() });
}
