/**
 * Tutorial C with the roles swapped, device side: the device connects to a server on the
 * computer and reports the button state every second. When the server is not there, or
 * goes away, it tries again at the next report instead of giving up.
 *
 * Computer side: `picolink term listen tcp 22000` (shows each report on its own line), or
 * pc-server.ts. Run (simulated button):
 *   node examples/dist/c-button-server/button-reporter.js --host COMPUTER [--port 22000]
 */
import { TcpClient } from '@picolink/client';
import { SimulatedBackend } from '@picolink/device';
import type { GpioBackend } from '@picolink/device';
import { isMain, numberOption, options, pause, stopSignal } from '../support/program.js';
import { BUTTON_PIN, buttonOn } from './button.js';

export interface ButtonReporterOptions {
  /** The computer's address. */
  host: string;
  /** Default 22000. */
  port?: number;
  /** Time between reports, in ms. Default 1000. */
  intervalMs?: number;
  /** The hardware. Default: a simulated Pico W. */
  backend?: GpioBackend;
  /** The button's GPIO. Default 14. */
  pin?: number;
  /** After connecting, how long a close means "server occupied", in ms. Default 1000. */
  occupiedCheckMs?: number;
  log?: (line: string) => void;
  signal: AbortSignal;
}

/** Reports until `signal` aborts; resolves with the number of reports sent. */
export async function runButtonReporter(options: ButtonReporterOptions): Promise<number> {
  const log = options.log ?? ((line: string) => console.log(line));
  const buttonState = buttonOn(options.backend ?? new SimulatedBackend(), options.pin ?? BUTTON_PIN);
  const client = new TcpClient(options.host, options.port ?? 22000, (state, msg, error) => {
    log(`Client:-- ${state} ${msg}${error ? ` (${error.message})` : ''}`);
  }, { occupiedCheckMs: options.occupiedCheckMs ?? 1000, connectTimeoutMs: 3000 });
  let reports = 0;
  while (!options.signal.aborted) {
    if (client.isConnected() || (await client.connect())) {
      client.sendMessage(buttonState());
      reports += 1;
    }
    await pause(options.intervalMs ?? 1000, options.signal);
  }
  client.disconnect();
  return reports;
}

if (isMain(import.meta.url)) {
  const args = options(['host', 'port', 'interval', 'pin']);
  if (!args.host) {
    console.error('usage: node button-reporter.js --host COMPUTER [--port 22000] [--interval 1000]');
    process.exit(2);
  }
  await runButtonReporter({ host: args.host, port: numberOption(args.port, 22000), intervalMs: numberOption(args.interval, 1000), pin: numberOption(args.pin, BUTTON_PIN), signal: stopSignal() });
}
