/** `picolink send`: send commands to a device and show each response. */
import { readFile } from 'node:fs/promises';
import { connect } from '@picolink/client';
import type { Device } from '@picolink/client';
import { deviceUrl } from '../address.js';
import { parseArgs, stringOption, booleanOption, intOption } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { renderTable, pairs } from '../table.js';
import { connectionOptions, CONNECTION_OPTION_SPECS, CONNECTION_OPTIONS_HELP } from './connection-options.js';

export const SEND_HELP = `Usage: picolink send HOST[:PORT] [options] -c action=NAME key=value ... [-c ...]
       picolink send HOST[:PORT] [options] -f commands.json

Send commands to a picolink device or a stock piconetcontrol server and print each
response. Values are sent as typed; the device converts "2" to 2 and "false" to false.

Options:
  -c, --command WORDS   one command: action=NAME followed by key=value words (repeatable)
  -f, --file FILE       commands from a JSON file: an array of objects, or one object per line
${CONNECTION_OPTIONS_HELP}
  --json                print each response as one JSON object per line (NDJSON)

Examples:
  picolink send 192.168.4.20 -c action=setup_pin pin=2 mode=output value=0 safe=0 \\
                             -c action=write_pin pin=2 value=1 timeout=5
  picolink send tls://pico.local -c action=get_info
  picolink send localhost:12345 -f commands.json --json

Exit codes: 0 all answered ok, 1 a command was answered with an error, 2 usage,
3 the device could not be reached.
`;

/** Splits `-c word word ...` groups out of argv; the rest is ordinary options. */
export function extractCommands(argv: readonly string[]): { commands: Record<string, string>[]; rest: string[] } {
  const commands: Record<string, string>[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? '';
    if (word !== '-c' && word !== '--command') {
      rest.push(word);
      continue;
    }
    const command: Record<string, string> = {};
    while (i + 1 < argv.length && (argv[i + 1] ?? '').includes('=') && !(argv[i + 1] ?? '').startsWith('--')) {
      const pair = argv[++i] ?? '';
      const eq = pair.indexOf('=');
      const key = pair.slice(0, eq);
      if (key.length === 0) throw usageError(`"${pair}" has no key; write key=value`);
      command[key] = pair.slice(eq + 1);
    }
    if (Object.keys(command).length === 0) throw usageError(`${word} needs key=value words, e.g. ${word} action=ping`);
    if (command.action === undefined) throw usageError(`a command has no action=...: ${pairs(command)}`);
    commands.push(command);
  }
  return { commands, rest };
}

/** Reads commands from a JSON array or from JSON lines. */
export function parseCommandFile(text: string, path: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  let values: unknown[];
  try {
    values = trimmed.startsWith('[') ? (JSON.parse(trimmed) as unknown[]) : trimmed.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
  } catch (err) {
    throw usageError(`${path} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  values.forEach((value, index) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw usageError(`${path}: command ${index + 1} is not a JSON object`);
    }
  });
  return values as Record<string, unknown>[];
}

const ECHO_KEYS: ReadonlySet<string> = new Set(['ok', 'time_received', 'time_sent', 'time_responded', 'id', 'action', 'error', 'code', 'exception']);

function isError(response: Record<string, unknown>): boolean {
  return response.ok === false || typeof response.error === 'string';
}

/** The result columns: fields the response added to the request. */
function resultText(request: Record<string, unknown>, response: Record<string, unknown>): string {
  if (isError(response)) {
    const code = typeof response.code === 'string' ? `${response.code}: ` : '';
    return `error ${code}${String(response.error)}`;
  }
  const added: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(response)) {
    if (ECHO_KEYS.has(key)) continue;
    if (key in request && JSON.stringify(request[key]) === JSON.stringify(value)) continue;
    added[key] = value;
  }
  return Object.keys(added).length === 0 ? 'ok' : `ok ${pairs(added)}`;
}

export async function runSend(argv: readonly string[], io: Output): Promise<ExitCodeValue> {
  const { commands: inline, rest } = extractCommands(argv);
  const args = parseArgs(rest, { file: { type: 'string', short: 'f' }, json: { type: 'boolean' }, ...CONNECTION_OPTION_SPECS });
  const [target, ...extra] = args.positionals;
  if (!target) throw usageError('give the device address: picolink send HOST[:PORT] -c action=ping');
  if (extra.length > 0) throw usageError(`unexpected "${extra[0]}"; commands go after -c, e.g. -c action=read_pin pin=2`);
  const file = stringOption(args, 'file');
  const commands: Record<string, unknown>[] = [...inline];
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw usageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    commands.push(...parseCommandFile(text, file));
  }
  if (commands.length === 0) throw usageError('nothing to send; add -c action=NAME ... or -f FILE');
  const json = booleanOption(args, 'json') === true;
  const url = deviceUrl(target, booleanOption(args, 'tls'));
  const timeoutMs = intOption(args, 'timeout', 5000, 1, 600_000);

  const device: Device = await connect(url, connectionOptions(args, timeoutMs, io));
  let responses: Record<string, unknown>[];
  try {
    responses = await device.sendCommands(commands);
  } finally {
    await device.close();
  }
  if (json) {
    for (const response of responses) io.out(JSON.stringify(response) + '\n');
  } else {
    const rows = responses.map((response, i) => {
      const request = commands[i] ?? {};
      const { action, ...fields } = request;
      return [String(i + 1), String(action), pairs(fields), resultText(request, response)];
    });
    io.out(renderTable(['#', 'action', 'fields', 'result'], rows));
  }
  return responses.some(isError) ? ExitCode.COMMAND_FAILED : ExitCode.OK;
}
