/** `picolink hub`: run the hub (device gateway, telemetry, storage, HTTP API) until Ctrl-C. */
import { resolve } from 'node:path';
import { defaultConfig, isPostgresUrl, loadConfig, redactPostgresUrl, startHub } from '@picolink/hub';
import type { HubConfig, RunningHub } from '@picolink/hub';
import { booleanOption, intOption, optionSpecs, parseArgs, stringOption } from '../args.js';
import type { ParsedArgs } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { waitForStop } from '../stop-signal.js';

export const HUB_HELP = `Usage: picolink hub [--config picolink.json] [options]

Run the hub: the device gateway devices dial home to, links to devices in server mode,
UDP telemetry into SQLite, and the HTTP/WebSocket API and dashboard. On first start it
draws an API token, keeps it in the data directory (api-token, readable by you only) and
prints it, with the dashboard's sign-in link (URL/#token=TOKEN); every API call needs it
as "Authorization: Bearer TOKEN". Stop it with Ctrl-C.

Options (each overrides the configuration file):
  --config FILE             hub configuration (JSON; see docs/hub.md#configuration)
  --data-dir DIR            SQLite database and API token (default ./picolink-data)
  --store URL|FILE          where data is kept: a postgres://USER:PASSWORD@HOST:PORT/DB URL
                            selects PostgreSQL (docs/scaling.md); a file path, SQLite there
                            (default picolink.db in the data directory)
  --http-host ADDRESS       address of the HTTP API (default 127.0.0.1; 0.0.0.0 for the network)
  --http-port N             HTTP API port (default 8080; 0 picks a free one)
  --gateway-port N          port devices dial home to (default 12400; 0 picks a free one)
  --telemetry-port N        UDP telemetry port (default 12401; 0 picks a free one)
  --no-auth                 no API token (refused unless the HTTP address is loopback)
  --accept-unknown-devices  let devices not listed in the configuration dial home
  --json                    print the addresses, the sign-in link and the token as one JSON line

Example:
  picolink hub --data-dir ./picolink-data
  curl -H "Authorization: Bearer TOKEN" http://127.0.0.1:8080/api/devices
`;

export const HUB_OPTION_SPECS = optionSpecs(['config', 'data-dir', 'store', 'http-host', 'http-port', 'gateway-port', 'telemetry-port'], ['auth', 'accept-unknown-devices', 'json']);

/** The configuration from --config and the flags that override it. */
export async function hubConfigFrom(args: ParsedArgs): Promise<HubConfig> {
  const file = stringOption(args, 'config');
  const config = file === undefined ? defaultConfig() : await loadConfig(file);
  const dataDir = stringOption(args, 'data-dir');
  if (dataDir !== undefined) config.dataDir = dataDir;
  const store = stringOption(args, 'store');
  if (store !== undefined) config.store = isPostgresUrl(store) ? { postgres: store } : { sqlite: store };
  const httpHost = stringOption(args, 'http-host');
  if (httpHost !== undefined) config.http.host = httpHost;
  config.http.port = intOption(args, 'http-port', config.http.port, 0, 65535);
  config.gateway.port = intOption(args, 'gateway-port', config.gateway.port, 0, 65535);
  config.telemetry.port = intOption(args, 'telemetry-port', config.telemetry.port, 0, 65535);
  if (booleanOption(args, 'auth') === false) config.http.auth = false;
  if (booleanOption(args, 'accept-unknown-devices') === true) config.gateway.acceptUnknownDevices = true;
  return config;
}

/** What `picolink hub` and `picolink demo` print about a running hub. */
export function describeHub(hub: RunningHub, config: HubConfig): string[] {
  const token = hub.token === null ? 'none (auth is off)' : `${hub.token}${hub.tokenCreated ? '   (new; ' : '   ('}kept in ${hub.tokenPath})`;
  return [
    `  dashboard  ${hub.signInLink}   (open it in a browser to sign in)`,
    `  API        ${hub.httpUrl}`,
    `  token      ${token}`,
    `  gateway    ${config.gateway.host}:${hub.gatewayPort} (TCP${config.gateway.tls ? ' with TLS' : ''}; devices dial home here)`,
    `  telemetry  ${config.telemetry.host}:${hub.telemetryPort} (UDP)`,
    `  data       ${resolve(config.dataDir)}`,
    ...(config.store === undefined ? [] : [`  store      ${'postgres' in config.store ? redactPostgresUrl(config.store.postgres) : `SQLite ${resolve(config.store.sqlite)}`}`]),
  ];
}

/**
 * The command that makes a simulated device dial home to this hub and be admitted: a
 * configured device with its token, or any id when unknown devices are accepted.
 */
export function dialHomeHint(config: HubConfig, gatewayPort: number): string[] {
  const command = `  npx picolink device --sim --hub 127.0.0.1:${gatewayPort}`;
  const said = '    (a simulated Pico W dialling home)';
  const device = config.devices[0];
  if (device !== undefined) return [`${command} --id ${device.id}${device.token === undefined ? '' : ` --token ${device.token}`}${said}`];
  if (config.gateway.acceptUnknownDevices) return [`${command} --id pico-1${said}`];
  return [
    '  (no device is configured: the hub admits devices listed in "devices" of --config FILE with',
    '   their tokens; restart with --accept-unknown-devices to admit any id, then:)',
    `${command} --id pico-1${said}`,
  ];
}

/** The JSON line of --json. */
export function hubJson(hub: RunningHub, config: HubConfig): string {
  return JSON.stringify({
    url: hub.httpUrl,
    dashboard: hub.signInLink,
    httpPort: hub.httpPort,
    gatewayPort: hub.gatewayPort,
    telemetryPort: hub.telemetryPort,
    token: hub.token,
    tokenPath: hub.tokenPath,
    dataDir: resolve(config.dataDir),
  });
}

export async function runHub(argv: readonly string[], io: Output, signal?: AbortSignal): Promise<ExitCodeValue> {
  const args = parseArgs(argv, HUB_OPTION_SPECS);
  if (args.positionals.length > 0) throw usageError(`unexpected "${args.positionals[0]}"`);
  const config = await hubConfigFrom(args);
  // Listening for Ctrl-C / SIGTERM before the ready lines: a stop sent on them is a clean stop.
  const stopped = waitForStop(signal);
  const hub = await startHub({ config, log: (line) => io.err(`${new Date().toISOString()} ${line}\n`) });
  if (booleanOption(args, 'json') === true) {
    io.out(hubJson(hub, config) + '\n');
  } else {
    const auth = hub.token === null ? '' : ` -H "Authorization: Bearer ${hub.token}"`;
    io.out(
      [
        `picolink hub is running`,
        ...describeHub(hub, config),
        '',
        'Try:',
        // A self-signed certificate (picolink certs) is trusted by naming it.
        `  curl${config.http.tls ? ` --cacert ${config.http.tls.cert}` : ''}${auth} ${hub.httpUrl}/api/devices`,
        ...dialHomeHint(config, hub.gatewayPort),
        '',
        'Ctrl-C stops the hub.',
        '',
      ].join('\n'),
    );
  }
  await stopped;
  await hub.close();
  return ExitCode.OK;
}
