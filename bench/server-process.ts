/** Child process for bench/servers.ts: `device` or `echo`, on 127.0.0.1 port 0. */
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { startDevice, SimulatedBackend } from '@picolink/device';

const kind = process.argv[2];

function echoOnData(this: Socket, chunk: Buffer): void {
  this.write(chunk);
}

async function main(): Promise<void> {
  let port: number;
  let stop: () => Promise<void>;
  if (kind === 'device') {
    const device = await startDevice({ host: '127.0.0.1', port: 0, backend: new SimulatedBackend(), deviceId: 'bench' });
    port = device.port;
    stop = () => device.close();
  } else {
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('data', echoOnData);
      socket.on('error', () => socket.destroy());
    });
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
