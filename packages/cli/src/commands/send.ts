/** `picolink send`: send commands to a device and show each response. */
import { connect } from '@picolink/client';
import type { Device } from '@picolink/client';
import { deviceUrl } from '../address.js';
import { parseArgs, stringOption, booleanOption, intOption } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { readTextFile } from '../read-file.js';
import { fold, isPlainObject, keyValueList, pairs, renderTable } from '../table.js';
import { connectionOptions, CONNECTION_OPTION_SPECS, CONNECTION_OPTIONS_HELP } from './connection-options.js';

export const SEND_HELP = `Usage: picolink send HOST[:PORT] [options] -c action=NAME key=value ... [-c ...]
       picolink send HOST[:PORT] [options] -f commands.json

Send commands to a picolink device or a stock piconetcontrol server and print each
response. Values are sent as typed; the device converts "2" to 2 and "false" to false.

Options:
  -c, --command WORDS   one command: action=NAME followed by key=value words (repeatable)
  -f, --file FILE       commands from a JSON file: an object or an array of objects (pretty-printed
                        or not), or one object per line (NDJSON)
${CONNECTION_OPTIONS_HELP}
  --json                print each response as one JSON object per line (NDJSON)

Examples:
  picolink send 192.168.4.20 -c action=setup_pin pin=2 mode=output value=0 safe=0 \\
                             -c action=write_pin pin=2 value=1 timeout=5
  picolink send tls://pico.local -c action=get_info
  picolink send localhost:12345 -f commands.json --json
  picolink send hub://localhost:8080/devices/pico-1 --token TOKEN -c action=get_info

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

/** The line of `text` at character `position` (1-based). */
function lineAt(text: string, position: number): number {
  return text.slice(0, position).split('\n').length;
}

/** JSON.parse, its error naming the line (V8 names only the character position). */
function parseJsonAt(text: string, where: string, firstLine = 1): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const position = /at position (\d+)/.exec(message)?.[1];
    const line = position === undefined ? firstLine : firstLine + lineAt(text, Number(position)) - 1;
    throw usageError(`${where} line ${line} is not JSON: ${message.replace(/ \(line \d+ column \d+\)$/, '')}`);
  }
}

/**
 * Reads commands from a JSON file: one object or an array of objects (pretty-printed or
 * not), or one object per line (NDJSON). A bad line is named by its number.
 */
export function parseCommandFile(text: string, path: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  let values: { value: unknown; line: number }[];
  const lines = text.split('\n');
  const whole = trimmed.startsWith('[') || (trimmed.startsWith('{') && !isJsonLines(lines));
  if (whole) {
    const value = parseJsonAt(text, path);
    values = (Array.isArray(value) ? value : [value]).map((item) => ({ value: item, line: 0 }));
  } else {
    values = lines.flatMap((line, index) => (line.trim() === '' ? [] : [{ value: parseJsonAt(line, path, index + 1), line: index + 1 }]));
  }
  values.forEach(({ value, line }, index) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw usageError(`${path}: ${line === 0 ? `command ${index + 1}` : `line ${line}`} is not a JSON object`);
    }
  });
  return values.map(({ value }) => value as Record<string, unknown>);
}

/** True when every non-blank line is a JSON value of its own: NDJSON, not one pretty-printed object. */
function isJsonLines(lines: readonly string[]): boolean {
  const first = lines.find((line) => line.trim() !== '') ?? '';
  try {
    JSON.parse(first);
    return true;
  } catch {
    return false;
  }
}

const ECHO_KEYS: ReadonlySet<string> = new Set(['ok', 'time_received', 'time_sent', 'time_responded', 'id', 'action', 'error', 'code', 'exception']);

function isError(response: Record<string, unknown>): boolean {
  return response.ok === false || typeof response.error === 'string';
}

/** Widest line of the result column: longer results are folded, or listed one field per line. */
export const RESULT_WIDTH = 80;

/** The result column: fields the response added to the request. */
function resultText(request: Record<string, unknown>, response: Record<string, unknown>): string {
  if (isError(response)) {
    const code = typeof response.code === 'string' ? `${response.code}: ` : '';
    return fold(`error ${code}${String(response.error)}`, RESULT_WIDTH).join('\n');
  }
  const added: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(response)) {
    if (ECHO_KEYS.has(key)) continue;
    if (key in request && JSON.stringify(request[key]) === JSON.stringify(value)) continue;
    added[key] = value;
  }
  if (Object.keys(added).length === 0) return 'ok';
  const line = `ok ${pairs(added)}`;
  if (line.length <= RESULT_WIDTH) return line;
  // One long object (get_info's info) reads as a list of its fields, without its name on each.
  const [only, ...others] = Object.values(added);
  return `ok\n${keyValueList(others.length === 0 && isPlainObject(only) ? only : added, RESULT_WIDTH)}`;
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
    commands.push(...parseCommandFile(await readTextFile(file, '--file'), file));
  }
  if (commands.length === 0) throw usageError('nothing to send; add -c action=NAME ... or -f FILE');
  const json = booleanOption(args, 'json') === true;
  const url = deviceUrl(target, booleanOption(args, 'tls'));
  const timeoutMs = intOption(args, 'timeout', 5000, 1, 600_000);

  const device: Device = await connect(url, connectionOptions(args, timeoutMs, io, url));
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
