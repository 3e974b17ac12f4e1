/**
 * Turns what a person types (`pico.local`, `192.168.4.20:12345`, `[::1]:9000`,
 * `tls://pico:12345`) into a device URL for the client.
 */
import { DEFAULT_DEVICE_PORT } from '@picolink/protocol';
import { usageError } from './exit-codes.js';

export function deviceUrl(target: string, tls: boolean | undefined): string {
  if (target.includes('://')) {
    if (tls === true && target.startsWith('tcp://')) throw usageError(`--tls conflicts with ${target}; use tls://${target.slice(6)}`);
    if (tls === false && target.startsWith('tls://')) throw usageError(`--no-tls conflicts with ${target}; use tcp://${target.slice(6)}`);
    return target;
  }
  const scheme = tls ? 'tls' : 'tcp';
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(target);
  if (bracketed) return `${scheme}://[${bracketed[1]}]:${bracketed[2] ?? DEFAULT_DEVICE_PORT}`;
  const colons = target.split(':').length - 1;
  if (colons > 1) return `${scheme}://[${target}]:${DEFAULT_DEVICE_PORT}`;
  if (colons === 1) {
    const [host, port] = target.split(':');
    if (!host || !port || !/^\d+$/.test(port)) throw usageError(`"${target}" is not HOST[:PORT]`);
    return `${scheme}://${host}:${port}`;
  }
  if (target.length === 0) throw usageError('the device address is empty; give HOST[:PORT]');
  return `${scheme}://${target}:${DEFAULT_DEVICE_PORT}`;
}
