/** A UDP socket connected to one peer: it sends there and receives from there only. */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { hostPort, udpTypeFor } from './addresses.js';
import { connectFailed } from './socket-errors.js';

/** Resolves `host` (IPv4 or IPv6) and connects; rejects with `PL_ERR_CONNECT_FAILED`. */
export async function connectUdp(host: string, port: number): Promise<Socket> {
  const target = hostPort(host, port);
  let address = host;
  if (isIP(host) === 0) {
    try {
      address = (await lookup(host)).address;
    } catch (err) {
      throw connectFailed(target, err);
    }
  }
  const socket = createSocket(udpTypeFor(address));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    socket.close();
    throw connectFailed(target, err);
  }
  return socket;
}
