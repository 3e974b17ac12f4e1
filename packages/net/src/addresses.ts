/** `host:port` for messages and logs, with IPv6 addresses in brackets. */
import { isIPv6 } from 'node:net';
import type { Socket } from 'node:net';

export function hostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The UDP socket type for a local or remote address: `udp6` for IPv6 addresses. */
export function udpTypeFor(host: string): 'udp4' | 'udp6' {
  return isIPv6(host) ? 'udp6' : 'udp4';
}

/** The peer of a connected socket: its address (IPv4-mapped IPv6 shown as IPv4), port and `address:port`. */
export function peerOf(socket: Socket): { address: string; port: number; peer: string } {
  const address = (socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.)/, '');
  const port = socket.remotePort ?? 0;
  return { address, port, peer: hostPort(address, port) };
}
