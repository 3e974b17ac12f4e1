/** Options shared by the commands that connect to a device (send, ping, watch, update, sim input). */
import type { ConnectOptions } from '@picolink/client';
import { optionSpecs, stringOption } from '../args.js';
import type { ParsedArgs } from '../args.js';
import { usageError } from '../exit-codes.js';
import type { Output } from '../output.js';

export const CONNECTION_OPTION_SPECS = optionSpecs(['fingerprint', 'known-devices', 'timeout', 'token'], ['tls']);

export const CONNECTION_OPTIONS_HELP = `  --tls / --no-tls      use TLS (default: plain TCP unless the address is tls://...)
  --fingerprint FP      TLS: accept only this certificate (SHA-256, as printed by picolink certs)
  --known-devices FILE  TLS: trust-on-first-use file (default ~/.picolink/known_devices)
  --timeout MS          per-request timeout in ms (default 5000)
  --token TOKEN         hub://HOST:PORT/devices/ID: the hub's API token, as printed by picolink hub
                        (default: the PICOLINK_TOKEN environment variable)`;

/** `url`, when given, is checked against --token: only a hub takes one. */
export function connectionOptions(args: ParsedArgs, timeoutMs: number, io: Output, url?: string): ConnectOptions {
  const options: ConnectOptions = {
    timeoutMs,
    connectTimeoutMs: timeoutMs,
    onNewFingerprint: (hostPort: string, fingerprint: string) => {
      io.err(`picolink: trusting new device ${hostPort} with certificate fingerprint ${fingerprint}\n`);
    },
  };
  const fingerprint = stringOption(args, 'fingerprint');
  if (fingerprint !== undefined) options.fingerprint = fingerprint;
  const knownDevices = stringOption(args, 'known-devices');
  if (knownDevices !== undefined) options.knownDevicesFile = knownDevices;
  const token = stringOption(args, 'token');
  if (token !== undefined && url !== undefined && !url.startsWith('hub://')) {
    throw usageError(`--token is the hub's API token, for hub://HOST:PORT/devices/ID addresses; ${url} takes none`);
  }
  if (token !== undefined) options.token = token;
  return options;
}
