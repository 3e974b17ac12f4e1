/** `picolink device`: run the device runtime (today with simulated pins). */
import { readFile } from 'node:fs/promises';
import { startDevice, SimulatedBackend } from '@picolink/device';
import type { DeviceOptions } from '@picolink/device';
import { DEFAULT_DEVICE_PORT } from '@picolink/protocol';
import { parseArgs, stringOption, booleanOption, intOption } from '../args.js';
import type { ParsedArgs } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { waitForStop } from '../stop-signal.js';

export const DEVICE_HELP = `Usage: picolink device --sim [options]

Run a picolink device: the same actions, leases, safe values, events and telemetry as
the MicroPython agent on a Pico W. --sim simulates a Pico W's pins, ADC (with a drifting
internal temperature sensor) and PWM, so everything can be tried without hardware.
Stop it with Ctrl-C.

Options:
  --sim                     use simulated pins (required: no hardware backend is built in yet)
  --host ADDRESS            address to listen on (default 0.0.0.0; 127.0.0.1 for this machine only)
  --port PORT               TCP port (default ${DEFAULT_DEVICE_PORT}; 0 picks a free one)
  --tls-cert FILE           serve TLS with this PEM certificate (see picolink certs)
  --tls-key FILE            ... and this PEM key
  --id ID                   device id (default sim-<port>)
  --files-dir DIR           keep firmware files (for the update action) in DIR instead of memory
  --idle-timeout MS         close connections silent for this long (default 60000)
  --telemetry HOST:PORT     send UDP telemetry datagrams to HOST:PORT
  --telemetry-interval MS   telemetry period (default 5000)
  --telemetry-key KEY       sign telemetry with HMAC-SHA256 using KEY
  --telemetry-ack           ask for acknowledgements and resend unacknowledged readings
  --json                    print the listening address as one JSON line
`;

async function tlsOption(args: ParsedArgs): Promise<DeviceOptions['tls']> {
  const certFile = stringOption(args, 'tls-cert');
  const keyFile = stringOption(args, 'tls-key');
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw usageError('TLS needs both --tls-cert FILE and --tls-key FILE');
  const read = async (file: string): Promise<string> => {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw usageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  };
  return { cert: await read(certFile), key: await read(keyFile) };
}

function telemetryOption(args: ParsedArgs, deviceId: string): DeviceOptions['telemetry'] {
  const target = stringOption(args, 'telemetry');
  if (target === undefined) return undefined;
  const match = /^(.+):(\d+)$/.exec(target);
  if (!match || !match[1] || !match[2]) throw usageError(`--telemetry must be HOST:PORT, got "${target}"`);
  const telemetry: NonNullable<DeviceOptions['telemetry']> = {
    host: match[1].replace(/^\[(.*)\]$/, '$1'),
    port: Number(match[2]),
    deviceId,
    intervalMs: intOption(args, 'telemetry-interval', 5000, 10, 86_400_000),
    ack: booleanOption(args, 'telemetry-ack') === true,
  };
  const key = stringOption(args, 'telemetry-key');
  if (key !== undefined) telemetry.key = key;
  return telemetry;
}

/** Options for startDevice from the command line (shared with `picolink demo`). */
export async function deviceOptionsFrom(args: ParsedArgs, io: Output): Promise<DeviceOptions> {
  const port = intOption(args, 'port', DEFAULT_DEVICE_PORT, 0, 65535);
  const deviceId = stringOption(args, 'id') ?? `sim-${port}`;
  const options: DeviceOptions = {
    host: stringOption(args, 'host') ?? '0.0.0.0',
    port,
    deviceId,
    backend: new SimulatedBackend(),
    idleTimeoutMs: intOption(args, 'idle-timeout', 60_000, 100, 86_400_000),
    log: (line: string) => io.err(`${new Date().toISOString()} ${line}\n`),
  };
  const tls = await tlsOption(args);
  if (tls) options.tls = tls;
  const filesDir = stringOption(args, 'files-dir');
  if (filesDir !== undefined) options.filesDir = filesDir;
  const telemetry = telemetryOption(args, deviceId);
  if (telemetry) options.telemetry = telemetry;
  return options;
}

export const DEVICE_OPTION_SPECS = {
  sim: { type: 'boolean' },
  host: { type: 'string' },
  port: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  id: { type: 'string' },
  'files-dir': { type: 'string' },
  'idle-timeout': { type: 'string' },
  telemetry: { type: 'string' },
  'telemetry-interval': { type: 'string' },
  'telemetry-key': { type: 'string' },
  'telemetry-ack': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export async function runDevice(argv: readonly string[], io: Output, signal?: AbortSignal): Promise<ExitCodeValue> {
  const args = parseArgs(argv, DEVICE_OPTION_SPECS);
  if (args.positionals.length > 0) throw usageError(`unexpected "${args.positionals[0]}"`);
  if (booleanOption(args, 'sim') !== true) {
    throw usageError('no hardware GPIO backend is built in yet; run with --sim to simulate a Pico W');
  }
  const options = await deviceOptionsFrom(args, io);
  const device = await startDevice(options);
  if (booleanOption(args, 'json') === true) {
    io.out(JSON.stringify({ url: device.url, port: device.port, deviceId: options.deviceId }) + '\n');
  } else {
    io.out(`picolink device "${options.deviceId}" (simulated Pico W) listening on ${device.url}\n`);
    io.out(`try: picolink send ${device.url} -c action=get_info\n`);
  }
  await waitForStop(signal);
  await device.close();
  return ExitCode.OK;
}
