/**
 * Opening listeners: a TCP server, a UDP socket, or both on the same port number (the
 * embassy-net tutorial's hello server answers TCP and UDP on port 9932; the two port
 * spaces are separate, so both can be bound).
 */
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { hostPort, udpTypeFor } from './addresses.js';
import { isAddressInUse, listenFailed } from './socket-errors.js';

/**
 * A listening TCP server. Node sets SO_REUSEADDR on TCP listeners, so a restarted server
 * binds at once even while old connections linger in TIME_WAIT.
 */
export function listenTcp(host: string, port: number): Promise<Server> {
  return listenOn(createServer({ noDelay: true }), host, port);
}

/**
 * Starts `server` (plain TCP or TLS, made by the caller with its own options) listening;
 * rejects with `PL_ERR_LISTEN_FAILED` naming the address and what to do about it (a
 * port in use, a privileged port, an address this computer does not have).
 */
export function listenOn<S extends Server>(server: S, host: string, port: number): Promise<S> {
  return opened(server, 'tcp', host, port, () => server.listen({ host, port }));
}

/**
 * A bound UDP socket. It does not set SO_REUSEADDR: on Linux that would let a second
 * program bind the same UDP port and silently take some of its datagrams.
 */
export function bindUdp(host: string, port: number): Promise<UdpSocket> {
  const socket = createSocket({ type: udpTypeFor(host) });
  return opened(socket, 'udp', host, port, () => socket.bind(port, host)).catch((err: unknown) => {
    socket.close();
    throw err;
  });
}

/** Runs `start` and waits for `listening`; an `error` first becomes `PL_ERR_LISTEN_FAILED`. */
function opened<T extends Server | UdpSocket>(target: T, transport: 'tcp' | 'udp', host: string, port: number, start: () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    function targetOnError(err: Error): void {
      target.off('listening', targetOnListening);
      reject(listenFailed(transport, hostPort(host, port), err));
    }
    function targetOnListening(): void {
      target.off('error', targetOnError);
      resolve(target);
    }
    target.once('error', targetOnError);
    target.once('listening', targetOnListening);
    start();
  });
}

export function tcpPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

export function closeTcp(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** How many times a free port is tried for TCP+UDP before giving up. */
const PAIR_ATTEMPTS = 8;

/**
 * TCP and UDP bound to the same port number. With port 0 the TCP side picks a free port
 * and UDP binds that number; if another program holds it for UDP, it tries a new one.
 */
export async function bindTcpAndUdp(host: string, port: number): Promise<{ tcp: Server; udp: UdpSocket; port: number }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < (port === 0 ? PAIR_ATTEMPTS : 1); attempt++) {
    const tcp = await listenTcp(host, port);
    const bound = tcpPort(tcp);
    try {
      const udp = await bindUdp(host, bound);
      return { tcp, udp, port: bound };
    } catch (err) {
      await closeTcp(tcp);
      lastError = err;
      if (!isAddressInUse(err)) break;
    }
  }
  throw lastError;
}
