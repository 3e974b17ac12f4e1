/** This machine's addresses, as sketchWiFi shows them: what to type into the Pico's code. */
import { hostname, networkInterfaces } from 'node:os';
import type { HubAddress, HubAddresses } from '../api-types.js';

/** Every interface address: external IPv4 first, then IPv6, then loopback. */
export function hubAddresses(): HubAddresses {
  const addresses: HubAddress[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const entry of list ?? []) {
      addresses.push({ interface: name, address: entry.address, family: entry.family === 'IPv6' ? 'IPv6' : 'IPv4', internal: entry.internal });
    }
  }
  const rank = (a: HubAddress): number => (a.internal ? 2 : 0) + (a.family === 'IPv6' ? 1 : 0);
  addresses.sort((a, b) => rank(a) - rank(b));
  return { hostname: hostname(), addresses };
}
