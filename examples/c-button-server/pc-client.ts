/**
 * Tutorial C, computer side: the PC client that sends `go` every 2 seconds and prints
 * the button state it gets back, with the tcpcom-style `TcpClient` of the SDK.
 * `picolink term tcp HOST 22000 --eol nul` does the same by hand.
 *
 * Run: node examples/dist/c-button-server/pc-client.js --host PI_OR_PICO [--port 22000]
 */
import { TcpClient } from '@picolink/client';
import type { TcpClientOptions } from '@picolink/client';
import { isMain, numberOption, options, pause, stopSignal } from '../support/program.js';

export interface PollButtonOptions {
  host: string;
  /** Default 22000. */
  port?: number;
  /** Time between `go` requests, in ms. Default 2000. */
  intervalMs?: number;
  /** Stop after this many requests. Default: until `signal` aborts or the server goes away. */
  count?: number;
  /** Called with each state received. */
  onState: (state: string) => void;
  /** Passed on to the TcpClient (occupiedCheckMs, connectTimeoutMs...). */
  client?: TcpClientOptions;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** Resolves false if the server could not be reached, true after the requests were sent. */
export async function pollButton(options: PollButtonOptions): Promise<boolean> {
  const log = options.log ?? ((line: string) => console.log(line));
  let connected = false;
  const client = new TcpClient(options.host, options.port ?? 22000, (state, msg, error) => {
    if (state === 'MESSAGE') return options.onState(msg);
    if (state === 'DISCONNECTED') connected = false;
    log(`Client:-- ${state} ${msg}${error ? ` (${error.message})` : ''}`);
  }, options.client);
  connected = await client.connect();
  if (!connected) return false;
  for (let sent = 0; connected && !options.signal?.aborted && (options.count === undefined || sent < options.count); sent++) {
    client.sendMessage('go');
    await pause(options.intervalMs ?? 2000, options.signal);
  }
  client.disconnect();
  return true;
}

if (isMain(import.meta.url)) {
  const args = options(['host', 'port', 'interval']);
  if (!args.host) {
    console.error('usage: node pc-client.js --host PI_OR_PICO [--port 22000] [--interval 2000]');
    process.exit(2);
  }
  const reached = await pollButton({
    host: args.host,
    port: numberOption(args.port, 22000),
    intervalMs: numberOption(args.interval, 2000),
    onState: (state) => console.log(`Client:-- Received data: ${state}`),
    signal: stopSignal(),
  });
  process.exitCode = reached ? 0 : 3;
}
