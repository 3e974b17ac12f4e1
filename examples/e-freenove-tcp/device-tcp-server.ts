/**
 * Tutorial E (Freenove Pico W kit), "TCP as server", device side: print the address and
 * port, accept one client at a time, print each message and send it back.
 *
 * Computer side: `picolink term tcp BOARD 8888`.
 * Run: node examples/dist/e-freenove-tcp/device-tcp-server.js [--port 8888]
 */
import { networkInterfaces } from 'node:os';
import { TcpServer } from '@picolink/client';
import { isMain, numberOption, options, stopSignal } from '../support/program.js';

export interface FreenoveServerOptions {
  /** Default 8888 (0: any free port). */
  port?: number;
  /** Default "0.0.0.0". */
  host?: string;
  log?: (line: string) => void;
}

/** The first non-internal IPv4 address: what to type on the computer. */
function ownAddress(): string {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return '127.0.0.1';
}

export async function startFreenoveServer(options: FreenoveServerOptions = {}): Promise<{ port: number; close(): Promise<void> }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const host = options.host ?? '0.0.0.0';
  const server = new TcpServer(
    options.port ?? 8888,
    (state, msg, client) => {
      if (state === 'MESSAGE') {
        log(`received: ${msg}`);
        client?.sendMessage(msg);
      } else if (state === 'LISTENING') {
        log(`server address: ${host === '0.0.0.0' ? ownAddress() : host}, port: ${msg}`);
      } else {
        log(`${state.toLowerCase().replace('_', ' ')} ${msg}`.trim());
      }
    },
    { host, delimiter: 'none', oneClientAtATime: true },
  );
  const port = await server.whenListening();
  return { port, close: () => server.terminate() };
}

if (isMain(import.meta.url)) {
  const args = options(['port', 'host']);
  const server = await startFreenoveServer({ port: numberOption(args.port, 8888), host: args.host ?? '0.0.0.0' });
  const signal = stopSignal();
  await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  await server.close();
}
