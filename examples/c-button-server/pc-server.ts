/**
 * Tutorial C with the roles swapped, computer side: a server that prints each report a
 * device sends, with the tcpcom-style `TcpServer` of the SDK. `picolink term listen tcp
 * 22000` does the same without writing code.
 *
 * If the device reports over the Internet, do not forward a port to this server: let the
 * device dial out to the picolink hub, which authenticates it and uses TLS.
 *
 * Run: node examples/dist/c-button-server/pc-server.js [--port 22000]
 */
import { TcpServer } from '@picolink/client';
import { isMain, numberOption, options, stopSignal } from '../support/program.js';

export interface ReportServerOptions {
  /** Default 22000 (0: any free port). */
  port?: number;
  /** Default "0.0.0.0". */
  host?: string;
  /** Called with each report and the device's address. */
  onReport: (report: string, from: string) => void;
  log?: (line: string) => void;
}

export async function startReportServer(options: ReportServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const server = new TcpServer(
    options.port ?? 22000,
    (state, msg, client) => {
      if (state === 'MESSAGE') options.onReport(msg, client?.peer ?? '?');
      else log(`Server:-- ${state} ${msg}`);
    },
    { host: options.host ?? '0.0.0.0' },
  );
  const port = await server.whenListening();
  return { port, close: () => server.terminate() };
}

if (isMain(import.meta.url)) {
  const args = options(['port', 'host']);
  const server = await startReportServer({
    port: numberOption(args.port, 22000),
    host: args.host ?? '0.0.0.0',
    onReport: (report, from) => console.log(`${new Date().toISOString()} ${from}: ${report}`),
  });
  const signal = stopSignal();
  await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  await server.close();
}
