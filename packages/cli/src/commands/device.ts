/** `picolink device`: run the device runtime (today with simulated pins). */
import { DEFAULT_CONTROLLER_TIMEOUT_MS, startDevice, SimulatedBackend } from '@picolink/device';
import type { DeviceOptions, HubAddress, HubTlsOptions } from '@picolink/device';
import { DEFAULT_DEVICE_PORT, DEFAULT_HUB_GATEWAY_PORT } from '@picolink/protocol';
import { booleanOption, intOption, optionSpecs, parseArgs, stringOption } from '../args.js';
import type { ParsedArgs } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { readTextFile } from '../read-file.js';
import { tlsOption } from './device-tls.js';
import { waitForStop } from '../stop-signal.js';

export const DEVICE_HELP = `Usage: picolink device --sim [options]
       picolink device --sim --hub HOST[:PORT][,HOST[:PORT]...] [--token T] [options]

Run a picolink device: the same actions, leases, safe values, events and telemetry as
the MicroPython agent on a Pico W. --sim simulates a Pico W's pins, ADC (with a drifting
internal temperature sensor) and PWM, so everything can be tried without hardware.
With --hub the device dials home: it connects out to the hub's device gateway and is
controlled through the hub (no port forwarding), reconnecting with backoff when the link
drops. A hub that refuses the device (unknown id, missing or wrong --token) is said here
with the hub's reason; the device keeps dialling with backoff (at most a minute apart), so
fixing the hub's configuration is enough. Given several hubs (--hub repeated, or a comma
list), the device dials them in that order until one welcomes it, and after a lost link
starts again from the first. Stop it with Ctrl-C.

Options:
  --sim                     use simulated pins (required: no hardware backend is built in yet)
  --host ADDRESS            address to listen on (default 0.0.0.0; 127.0.0.1 for this machine only)
  --port PORT               TCP port (default ${DEFAULT_DEVICE_PORT}; 0 picks a free one)
  --tls-cert FILE           serve TLS with this PEM certificate (see picolink certs)
  --tls-key FILE            ... and this PEM key
  --id ID                   device id (default sim-<port>; with --hub and no --port, sim-<process id>)
  --files-dir DIR           keep firmware files (for the update action) in DIR instead of memory
  --idle-timeout MS         close connections silent for this long (default 60000)
  --controller-timeout MS   a controller of outputs with safe values silent this long is gone:
                            safe values apply (pinged at half; default 8000; 0 never)
  --telemetry HOST:PORT     send UDP telemetry datagrams to HOST:PORT
  --telemetry-interval MS   telemetry period (default 5000)
  --telemetry-key KEY       sign telemetry with HMAC-SHA256 using KEY
  --telemetry-ack           ask for acknowledgements and resend unacknowledged readings
  --hub HOST[:PORT]         dial home to the hub's device gateway (default port ${DEFAULT_HUB_GATEWAY_PORT}); without
                            --port the device then listens on 127.0.0.1 only, on a free port;
                            repeat it or give a comma list for hubs to try in order
  --token T                 the device's secret, as configured on the hub (devices[].token)
  --hub-tls                 connect to the hub with TLS (verified against the system's CAs)
  --hub-fingerprint FP      TLS: accept only the hub certificate with this SHA-256 fingerprint
  --hub-ca FILE             TLS: verify the hub's certificate against this CA (PEM)
  --json                    print the listening address as one JSON line
`;

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

/** One `--hub` address: HOST, HOST:PORT, [IPV6] or [IPV6]:PORT. */
function hubAddress(target: string): HubAddress {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(target);
  if (!match || !match[1]) throw usageError(`--hub must be HOST or HOST:PORT (several: repeat --hub or separate them with commas), got "${target}"`);
  const port = match[2] === undefined ? DEFAULT_HUB_GATEWAY_PORT : Number(match[2]);
  if (port < 1 || port > 65535) throw usageError(`--hub port must be 1-65535, got ${port}`);
  return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
}

async function hubOption(args: ParsedArgs): Promise<DeviceOptions['hub']> {
  const targets = ((args.options.hub as string[] | undefined) ?? []).flatMap((list) => list.split(',')).map((word) => word.trim());
  const token = stringOption(args, 'token');
  const fingerprint = stringOption(args, 'hub-fingerprint');
  const caFile = stringOption(args, 'hub-ca');
  const tls = booleanOption(args, 'hub-tls') === true || fingerprint !== undefined || caFile !== undefined;
  if (targets.length === 0) {
    if (token !== undefined || tls) throw usageError('--token, --hub-tls, --hub-fingerprint and --hub-ca need --hub HOST[:PORT]');
    return undefined;
  }
  const addresses = targets.map(hubAddress);
  if (tls) {
    // The same TLS rules for every hub of the list.
    const hubTls: HubTlsOptions = {};
    if (fingerprint !== undefined) hubTls.fingerprint = fingerprint;
    if (caFile !== undefined) hubTls.ca = await readTextFile(caFile, '--hub-ca');
    for (const address of addresses) address.tls = hubTls;
  }
  const hub: NonNullable<DeviceOptions['hub']> = { hub: addresses.length === 1 ? (addresses[0] as HubAddress) : addresses };
  if (token !== undefined) hub.token = token;
  return hub;
}

/** Options for startDevice from the command line (shared with `picolink demo`). */
export async function deviceOptionsFrom(args: ParsedArgs, io: Output): Promise<DeviceOptions> {
  const hub = await hubOption(args);
  // A device that dials home needs no open port; it still serves local clients on loopback.
  const listensForHub = hub !== undefined && stringOption(args, 'port') === undefined;
  const port = listensForHub ? 0 : intOption(args, 'port', DEFAULT_DEVICE_PORT, 0, 65535);
  const deviceId = stringOption(args, 'id') ?? (listensForHub ? `sim-${process.pid}` : `sim-${port}`);
  const controllerTimeoutMs = intOption(args, 'controller-timeout', DEFAULT_CONTROLLER_TIMEOUT_MS, 0, 86_400_000);
  const options: DeviceOptions = {
    host: stringOption(args, 'host') ?? (listensForHub ? '127.0.0.1' : '0.0.0.0'),
    port,
    deviceId,
    backend: new SimulatedBackend(),
    idleTimeoutMs: intOption(args, 'idle-timeout', 60_000, 100, 86_400_000),
    controllerTimeoutMs,
    log: (line: string) => io.err(`${new Date().toISOString()} ${line}\n`),
  };
  const tls = await tlsOption(args);
  if (tls) options.tls = tls;
  const filesDir = stringOption(args, 'files-dir');
  if (filesDir !== undefined) options.filesDir = filesDir;
  const telemetry = telemetryOption(args, deviceId);
  if (telemetry) options.telemetry = telemetry;
  if (hub) options.hub = { ...hub, controllerTimeoutMs };
  return options;
}

export const DEVICE_OPTION_SPECS = {
  ...optionSpecs(
    ['host', 'port', 'tls-cert', 'tls-key', 'id', 'files-dir', 'idle-timeout', 'controller-timeout', 'telemetry', 'telemetry-interval', 'telemetry-key', 'token', 'hub-fingerprint', 'hub-ca'],
    ['sim', 'telemetry-ack', 'hub-tls', 'json'],
  ),
  hub: { type: 'string', multiple: true },
} as const;

export async function runDevice(argv: readonly string[], io: Output, signal?: AbortSignal): Promise<ExitCodeValue> {
  const args = parseArgs(argv, DEVICE_OPTION_SPECS);
  if (args.positionals.length > 0) throw usageError(`unexpected "${args.positionals[0]}"`);
  if (booleanOption(args, 'sim') !== true) {
    throw usageError('no hardware GPIO backend is built in yet; run with --sim to simulate a Pico W');
  }
  const options = await deviceOptionsFrom(args, io);
  // Listening for Ctrl-C / SIGTERM before the ready line: a stop sent on that line is a clean stop.
  const stopped = waitForStop(signal);
  const device = await startDevice(options);
  const hubs = device.hub?.hubAddresses ?? [];
  if (booleanOption(args, 'json') === true) {
    // `hub`: the first address, as with one; `hubs`: all of them, in the order they are dialled.
    io.out(JSON.stringify({ url: device.url, port: device.port, deviceId: options.deviceId, ...(hubs.length > 0 ? { hub: hubs[0], hubs } : {}) }) + '\n');
  } else if (hubs.length > 0) {
    const where = hubs.length === 1 ? `the hub at ${hubs[0]}` : `the first of the hubs at ${hubs.join(', ')}`;
    io.out(`picolink device "${options.deviceId}" (simulated Pico W) dialing home to ${where}; local clients: ${device.url}\n`);
  } else {
    io.out(`picolink device "${options.deviceId}" (simulated Pico W) listening on ${device.url}\n`);
    io.out(`try: picolink send ${device.url} -c action=get_info\n`);
  }
  await stopped;
  await device.close();
  return ExitCode.OK;
}
