/** Child process for bench/servers.ts: `device` or `echo`, on 127.0.0.1 port 0. */
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { startDevice, SimulatedBackend } from '@picolink/device';
import { LineDecoder } from '@picolink/protocol';

const kind = process.argv[2];

/** The reference: a minimal line-echo server, as in the tutorials (read a line, send it back). */
function serveEcho(socket: Socket): void {
  const decoder = new LineDecoder();
  socket.setNoDelay(true);
  socket.on('data', function echoOnData(chunk: Buffer) {
    let out = '';
    for (const decoded of decoder.push(chunk)) if (decoded.line !== undefined) out += decoded.line + '\n';
    if (out.length > 0) socket.write(out);
  });
  socket.on('error', () => socket.destroy());
}

async function main(): Promise<void> {
  let port: number;
  let stop: () => Promise<void>;
  if (kind === 'device') {
    const device = await startDevice({ host: '127.0.0.1', port: 0, backend: new SimulatedBackend(), deviceId: 'bench' });
    port = device.port;
    stop = () => device.close();
  } else {
    const server = createServer(serveEcho);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    stop = () => new Promise((resolve) => server.close(() => resolve()));
  }
  process.send?.({ port });
  process.once('SIGTERM', () => {
    void stop().then(() => process.exit(0));
  });
}

await main();
