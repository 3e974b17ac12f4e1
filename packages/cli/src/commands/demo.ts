/**
 * `picolink demo` (what `npm start` runs): a hub on this machine with three simulated
 * Pico Ws — one in server mode, one dialling home, one sending UDP telemetry — with data
 * flowing, and what to try against it; with `--devices N` (N > 3), a fleet of N devices
 * dialling home (start-demo.ts).
 */
import { DEFAULT_TELEMETRY_PORT } from '@picolink/hub';
import { DEFAULT_HUB_GATEWAY_PORT, DEFAULT_HUB_HTTP_PORT } from '@picolink/protocol';
import type { RunningHub } from '@picolink/hub';
import { booleanOption, intOption, optionSpecs, parseArgs, stringOption } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { waitForStop } from '../stop-signal.js';
import { MAX_DEMO_DEVICES } from './demo-crowd.js';
import { DOOR_PIN, GARAGE, GARDEN, KITCHEN } from './demo-fleet.js';
import { describeHub, hubJson } from './hub.js';
import { DEFAULT_DEMO_DEVICES, startDemo } from './start-demo.js';
import type { RunningDemo } from './start-demo.js';

export const DEMO_HELP = `Usage: picolink demo [--port PORT] [--host ADDRESS] [--data-dir DIR] [--devices N] [--json]

Start a hub with three simulated Pico Ws and print the dashboard's sign-in link, the
API's address, its token and what to try. This is what "npm start" runs. Stop it with
Ctrl-C.

  pico-kitchen   in server mode: the hub connects to it (light sensor on ADC0, LED)
  pico-garage    dials home to the hub (door switch on GPIO ${DOOR_PIN}, watched by the hub)
  sensor-garden  sends signed UDP telemetry only (soil moisture, battery)

Options:
  --port PORT        HTTP port of the hub (default ${DEFAULT_HUB_HTTP_PORT}); the device gateway and
                     telemetry use ${DEFAULT_HUB_GATEWAY_PORT} and ${DEFAULT_TELEMETRY_PORT}, and with --port 0 all three
                     are picked free
  --host ADDRESS     address of the HTTP API (default 127.0.0.1)
  --data-dir DIR     SQLite database and API token (default ./picolink-data; the token
                     is kept and reused across runs)
  --devices N        simulated devices, 1 to ${MAX_DEMO_DEVICES} (default ${DEFAULT_DEMO_DEVICES}); more than 3 are
                     pico-001, pico-002, ... dialling home with signed telemetry every 5 s
  --json             print the addresses, the sign-in link and the token as one JSON line
`;

const DEMO_SPECS = optionSpecs(['port', 'host', 'data-dir', 'devices'], ['json']);

/** What to try, against the devices the demo runs (`telemetry`, `output`, `events`: device ids). */
function tryLines(hub: RunningHub, telemetry: string, output: string, events: string): string[] {
  const auth = hub.token === null ? '' : ` -H "Authorization: Bearer ${hub.token}"`;
  const url = hub.httpUrl;
  return [
    'Try:',
    `  curl${auth} ${url}/api/devices`,
    `  curl${auth} "${url}/api/devices/${telemetry}/telemetry?metric=adc0&from=-5m&bucket=10s"`,
    `  curl${auth} -H "Content-Type: application/json" -d '{"action":"write_pin","pin":"LED","value":0,"timeout":5}' ${url}/api/devices/${output}/commands`,
    `  curl${auth} ${url}/api/devices/${events}/events`,
    `  curl${auth} -o ${telemetry === GARDEN ? 'garden' : telemetry}.csv ${url}/api/devices/${telemetry}/telemetry.csv`,
    `  curl${auth} ${url}/api/audit`,
    '',
    `From TypeScript: connect('hub://${url.replace(/^https?:\/\//, '')}/devices/${output}', { token }) gives the same Device API as a direct connection.`,
    `Live stream (WebSocket): ${url.replace(/^http/, 'ws')}/api/stream${hub.token === null ? '' : `?token=${hub.token}`}`,
    `Every route: ${url}/api/openapi.json (docs/hub.md).`,
  ];
}

function classicLines(demo: RunningDemo): string[] {
  const has = (id: string): boolean => demo.deviceIds.includes(id);
  return [
    `picolink demo: a hub with ${demo.deviceIds.length === 3 ? 'three' : demo.deviceIds.length} simulated Pico W${demo.deviceIds.length === 1 ? '' : 's'}`,
    ...describeHub(demo.hub, demo.config),
    '',
    'Devices:',
    ...(has(KITCHEN) ? [`  ${KITCHEN}   server mode: the hub connects to ${demo.fleet?.kitchen.url ?? '?'}; light sensor on ADC0, LED on (safe value 0)`] : []),
    ...(has(GARAGE) ? [`  ${GARAGE}    dials home to the gateway; door switch on GPIO ${DOOR_PIN}, watched (pin_change events)`] : []),
    ...(has(GARDEN) ? [`  ${GARDEN}  signed UDP telemetry every second: soil moisture (adc0), battery (adc3), temperature`] : []),
    '',
    ...tryLines(demo.hub, has(GARDEN) ? GARDEN : KITCHEN, KITCHEN, has(GARAGE) ? GARAGE : KITCHEN),
  ];
}

function crowdLines(demo: RunningDemo): string[] {
  const first = demo.deviceIds[0] ?? '';
  const last = demo.deviceIds[demo.deviceIds.length - 1] ?? '';
  const online = demo.deviceIds.filter((id) => demo.hub.directory.isOnline(id)).length;
  return [
    `picolink demo: a hub with ${demo.deviceIds.length} simulated Pico Ws`,
    ...describeHub(demo.hub, demo.config),
    '',
    'Devices:',
    `  ${first} … ${last}   dial home to the gateway (${online} online now); signed UDP telemetry every 5 s: temperature, light (adc0)`,
    '',
    ...tryLines(demo.hub, first, first, first),
  ];
}

export async function runDemo(argv: readonly string[], io: Output, signal?: AbortSignal): Promise<ExitCodeValue> {
  const args = parseArgs(argv, DEMO_SPECS);
  if (args.positionals.length > 0) throw usageError(`unexpected "${args.positionals[0]}"`);
  const log = (line: string): void => io.err(`${new Date().toISOString()} ${line}\n`);
  // Listening for Ctrl-C / SIGTERM before the ready lines: a stop sent on them is a clean stop.
  const stopped = waitForStop(signal);
  const demo = await startDemo({
    port: intOption(args, 'port', DEFAULT_HUB_HTTP_PORT, 0, 65535),
    host: stringOption(args, 'host') ?? '127.0.0.1',
    dataDir: stringOption(args, 'data-dir') ?? './picolink-data',
    devices: intOption(args, 'devices', DEFAULT_DEMO_DEVICES, 1, MAX_DEMO_DEVICES),
    log,
    ...(signal ? { signal } : {}),
  });
  try {
    if (booleanOption(args, 'json') === true) {
      const line = JSON.parse(hubJson(demo.hub, demo.config)) as Record<string, unknown>;
      io.out(JSON.stringify({ ...line, devices: demo.deviceIds.length }) + '\n');
    } else {
      const lines = demo.fleet ? classicLines(demo) : crowdLines(demo);
      io.out([...lines, '', 'Ctrl-C stops the hub and the devices.', ''].join('\n'));
    }
    await stopped;
  } finally {
    await demo.close();
  }
  return ExitCode.OK;
}
