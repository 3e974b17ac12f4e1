/**
 * `picolink demo` (what `npm start` runs): a hub on this machine with three simulated
 * Pico Ws — one in server mode, one dialling home, one sending UDP telemetry — with data
 * flowing, and what to try against it.
 */
import { DEFAULT_GATEWAY_PORT, DEFAULT_HTTP_PORT, DEFAULT_TELEMETRY_PORT, defaultConfig, startHub } from '@picolink/hub';
import type { HubConfig, RunningHub } from '@picolink/hub';
import { booleanOption, intOption, parseArgs, stringOption } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { waitForStop } from '../stop-signal.js';
import { DOOR_PIN, GARAGE, GARDEN, KITCHEN, startDemoFleet } from './demo-fleet.js';
import { describeHub, hubJson } from './hub.js';

export const DEMO_HELP = `Usage: picolink demo [--port PORT] [--host ADDRESS] [--data-dir DIR] [--json]

Start a hub with three simulated Pico Ws and print the API's address, its token and
what to try. This is what "npm start" runs. Stop it with Ctrl-C.

  pico-kitchen   in server mode: the hub connects to it (light sensor on ADC0, LED)
  pico-garage    dials home to the hub (door switch on GPIO ${DOOR_PIN}, watched by the hub)
  sensor-garden  sends signed UDP telemetry only (soil moisture, battery)

Options:
  --port PORT        HTTP port of the hub (default ${DEFAULT_HTTP_PORT}); the device gateway and
                     telemetry use ${DEFAULT_GATEWAY_PORT} and ${DEFAULT_TELEMETRY_PORT}, and with --port 0 all three
                     are picked free
  --host ADDRESS     address of the HTTP API (default 127.0.0.1)
  --data-dir DIR     SQLite database and API token (default ./picolink-data; the token
                     is kept and reused across runs)
  --json             print the addresses and the token as one JSON line
`;

const DEMO_SPECS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
} as const;

function demoConfig(port: number, host: string, dataDir: string): HubConfig {
  const config = defaultConfig();
  config.dataDir = dataDir;
  config.http = { ...config.http, host, port };
  // Everything else stays on this machine.
  config.gateway = { ...config.gateway, host: '127.0.0.1', port: port === 0 ? 0 : DEFAULT_GATEWAY_PORT };
  config.telemetry = { ...config.telemetry, host: '127.0.0.1', port: port === 0 ? 0 : DEFAULT_TELEMETRY_PORT };
  return config;
}

/** The hub sets things up on the devices, as a person would through the API. */
async function prepareDevices(hub: RunningHub, log: (line: string) => void): Promise<void> {
  const steps: Array<[string, Record<string, unknown>]> = [
    [KITCHEN, { action: 'setup_pin', pin: 'LED', mode: 'output', value: 1, safe: 0 }],
    [GARAGE, { action: 'setup_pin', pin: DOOR_PIN, mode: 'input', pull: 'up' }],
    [GARAGE, { action: 'watch_pin', pin: DOOR_PIN, edge: 'both', debounce_ms: 50 }],
  ];
  for (const [deviceId, request] of steps) {
    try {
      await hub.commands.send(deviceId, request, 'demo');
    } catch (err) {
      log(`demo: ${String(request.action)} on ${deviceId} failed: ${(err as Error).message}`);
    }
  }
}

async function waitOnline(hub: RunningHub, ids: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ids.every((id) => hub.directory.isOnline(id)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

function tryLines(hub: RunningHub): string[] {
  const auth = hub.token === null ? '' : ` -H "Authorization: Bearer ${hub.token}"`;
  const url = hub.httpUrl;
  return [
    'Try:',
    `  curl${auth} ${url}/api/devices`,
    `  curl${auth} "${url}/api/devices/${GARDEN}/telemetry?metric=adc0&from=-5m&bucket=10s"`,
    `  curl${auth} -H "Content-Type: application/json" -d '{"action":"write_pin","pin":"LED","value":0,"timeout":5}' ${url}/api/devices/${KITCHEN}/commands`,
    `  curl${auth} ${url}/api/devices/${GARAGE}/events`,
    `  curl${auth} -o garden.csv ${url}/api/devices/${GARDEN}/telemetry.csv`,
    `  curl${auth} ${url}/api/audit`,
    '',
    `From TypeScript: connect('hub://${url.replace(/^http:\/\//, '')}/devices/${KITCHEN}', { token }) gives the same Device API as a direct connection.`,
    `Live stream (WebSocket): ${url.replace(/^http/, 'ws')}/api/stream${hub.token === null ? '' : `?token=${hub.token}`}`,
    `Every route: ${url}/api/openapi.json (docs/hub.md).`,
  ];
}

export async function runDemo(argv: readonly string[], io: Output, signal?: AbortSignal): Promise<ExitCodeValue> {
  const args = parseArgs(argv, DEMO_SPECS);
  if (args.positionals.length > 0) throw usageError(`unexpected "${args.positionals[0]}"`);
  const port = intOption(args, 'port', DEFAULT_HTTP_PORT, 0, 65535);
  const config = demoConfig(port, stringOption(args, 'host') ?? '127.0.0.1', stringOption(args, 'data-dir') ?? './picolink-data');
  const log = (line: string): void => io.err(`${new Date().toISOString()} ${line}\n`);

  const fleet = await startDemoFleet({ log });
  let hub: RunningHub;
  try {
    config.devices = fleet.devices;
    hub = await startHub({ config, log });
  } catch (err) {
    await fleet.close();
    throw err;
  }
  try {
    await fleet.start(hub);
    await waitOnline(hub, [KITCHEN, GARAGE], 5000);
    await prepareDevices(hub, log);
    if (booleanOption(args, 'json') === true) {
      io.out(hubJson(hub, config) + '\n');
    } else {
      io.out(
        [
          'picolink demo: a hub with three simulated Pico Ws',
          ...describeHub(hub, config),
          '',
          'Devices:',
          `  ${KITCHEN}   server mode: the hub connects to ${fleet.kitchen.url}; light sensor on ADC0, LED on (safe value 0)`,
          `  ${GARAGE}    dials home to the gateway; door switch on GPIO ${DOOR_PIN}, watched (pin_change events)`,
          `  ${GARDEN}  signed UDP telemetry every second: soil moisture (adc0), battery (adc3), temperature`,
          '',
          ...tryLines(hub),
          '',
          'Ctrl-C stops the hub and the devices.',
          '',
        ].join('\n'),
      );
    }
    await waitForStop(signal);
  } finally {
    await hub.close();
    await fleet.close();
  }
  return ExitCode.OK;
}
