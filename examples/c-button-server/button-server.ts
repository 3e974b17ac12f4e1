/**
 * Tutorial C, device side: the measurement server. It listens on port 22000 and answers
 * each `go` with the button's state, `Button pressed` or `Button released`, NUL-terminated
 * as tcpcom does. Built on the tcpcom-style `TcpServer` of the SDK.
 *
 * Run (simulated button; press Enter to press or release it):
 *   node examples/dist/c-button-server/button-server.js [--port 22000]
 */
import { createInterface } from 'node:readline';
import { TcpServer } from '@picolink/client';
import { SimulatedBackend } from '@picolink/device';
import type { GpioBackend } from '@picolink/device';
import { isMain, numberOption, options, stopSignal } from '../support/program.js';
import { BUTTON_PIN, buttonOn } from './button.js';

export interface ButtonServerOptions {
  /** TCP port. Default 22000 (0: any free port). */
  port?: number;
  /** Address to listen on. Default "0.0.0.0". */
  host?: string;
  /** The hardware. Default: a simulated Pico W. */
  backend?: GpioBackend;
  /** The button's GPIO. Default 14. */
  pin?: number;
  log?: (line: string) => void;
}

export interface ButtonServer {
  port: number;
  close(): Promise<void>;
}

export async function startButtonServer(options: ButtonServerOptions = {}): Promise<ButtonServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const buttonState = buttonOn(options.backend ?? new SimulatedBackend(), options.pin ?? BUTTON_PIN);
  const server = new TcpServer(
    options.port ?? 22000,
    (state, msg, client) => {
      if (state === 'MESSAGE') {
        if (msg === 'go') client?.sendMessage(buttonState());
        return;
      }
      log(`Server:-- ${state} ${msg}`);
    },
    { host: options.host ?? '0.0.0.0' },
  );
  const port = await server.whenListening();
  return { port, close: () => server.terminate() };
}

if (isMain(import.meta.url)) {
  const args = options(['port', 'host', 'pin']);
  const backend = new SimulatedBackend();
  const pin = numberOption(args.pin, BUTTON_PIN);
  const server = await startButtonServer({ port: numberOption(args.port, 22000), host: args.host ?? '0.0.0.0', backend, pin });
  console.log(`Button server on port ${server.port}. Press Enter to press or release the simulated button; Ctrl-C stops.`);
  let pressed = false;
  const keys = createInterface({ input: process.stdin });
  keys.on('line', () => {
    pressed = !pressed;
    backend.setInputLevel(pin, pressed ? 0 : null);
    console.log(pressed ? '(button pressed)' : '(button released)');
  });
  const signal = stopSignal();
  await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  keys.close();
  await server.close();
}
