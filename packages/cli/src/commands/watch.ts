/** `picolink watch`: stream a device's events, and the pin changes of chosen pins, one line each. */
import { connect } from '@picolink/client';
import type { Device } from '@picolink/client';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { PinId } from '@picolink/protocol';
import { deviceUrl } from '../address.js';
import { booleanOption, intOption, parseArgs, stringOption } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { waitForStop } from '../stop-signal.js';
import { pairs } from '../table.js';
import { collectPeerErrors, requireOk } from './answer.js';
import { connectionOptions, CONNECTION_OPTION_SPECS, CONNECTION_OPTIONS_HELP } from './connection-options.js';

export const WATCH_HELP = `Usage: picolink watch HOST[:PORT] [--pin N ...] [--count N] [--json] [options]
       picolink watch hub://HOST[:PORT]/devices/ID [--pin N ...] [options]

Print the events a device pushes, one line each: the time (the device's clock when it
sends one), the event name and its fields, e.g.
  2026-01-05T10:00:00.123Z pin_change pin=15 value=0 cause=input t=5123
With --pin N, pin N is watched; a pin that is not set up yet is first set up as an
input (said on stderr). Runs until Ctrl-C, or until --count events have been printed.
Through a hub (hub://), the hub's status events (device online/offline) show too; the
API token is --token or PICOLINK_TOKEN.

Options:
  --pin N               watch pin N (a GPIO number or LED; repeatable)
  --pull up|down|none   pull resistor for the pins set up here as inputs (default up:
                        a button to ground reads 1, pressed 0)
  --count N             exit (code 0) after N events
${CONNECTION_OPTIONS_HELP}
  --json                print each event as it arrived, one JSON object per line (NDJSON)

Exit codes: 0 ended by Ctrl-C or --count, 1 the device refused a watch, 2 usage,
3 the device could not be reached or closed the connection.
`;

const PULLS = ['up', 'down', 'none'];

/** A pin as typed: a GPIO number or "LED" (any case); `label` names it in the usage error. */
export function pinWord(text: string, label: string): PinId {
  if (text.toUpperCase() === 'LED') return 'LED';
  if (!/^\d{1,2}$/.test(text)) throw usageError(`${label} must be a GPIO number or LED, got "${text}"`);
  return Number(text);
}

/** One event as a line: its time, its name, then its other fields as key=value. */
export function eventLine(event: Record<string, unknown>): string {
  const { event: name, time, ...fields } = event;
  const stamp = new Date(typeof time === 'number' && Number.isFinite(time) ? time : Date.now()).toISOString();
  const rest = pairs(fields);
  return `${stamp} ${String(name)}${rest === '' ? '' : ` ${rest}`}`;
}

/** Watches `pin`, setting it up as an input first when the device says it is not set up; returns its level. */
async function watchPin(device: Device, pin: PinId, pull: string, io: Output): Promise<unknown> {
  const answer = await device.send({ action: 'watch_pin', pin });
  if (answer.code !== ErrorCode.PIN_NOT_SETUP) return requireOk(answer).value;
  requireOk(await device.send({ action: 'setup_pin', pin, mode: 'input', pull }));
  io.err(`picolink: pin ${pin} was not set up; set it up as an input (pull ${pull})\n`);
  return requireOk(await device.send({ action: 'watch_pin', pin })).value;
}

export async function runWatch(argv: readonly string[], io: Output, signal?: AbortSignal): Promise<ExitCodeValue> {
  const args = parseArgs(argv, {
    pin: { type: 'string', multiple: true },
    pull: { type: 'string' },
    count: { type: 'string' },
    json: { type: 'boolean' },
    ...CONNECTION_OPTION_SPECS,
  });
  const [target, ...extra] = args.positionals;
  if (!target) throw usageError('give the device address: picolink watch HOST[:PORT] [--pin N]');
  if (extra.length > 0) throw usageError(`unexpected "${extra[0]}"; pins go after --pin, e.g. --pin 15`);
  const pins = ((args.options.pin as string[] | undefined) ?? []).map((text) => pinWord(text, '--pin'));
  const pull = stringOption(args, 'pull') ?? 'up';
  if (!PULLS.includes(pull)) throw usageError(`--pull must be up, down or none, got "${pull}"`);
  const count = intOption(args, 'count', 0, 1, 1_000_000_000);
  const json = booleanOption(args, 'json') === true;
  const url = deviceUrl(target, booleanOption(args, 'tls'));

  const device = await connect(url, connectionOptions(args, intOption(args, 'timeout', 5000, 1, 600_000), io, url));
  collectPeerErrors(device, io);
  // Ends the wait below: on --count, when the device goes away, or on Ctrl-C.
  const stop = new AbortController();
  signal?.addEventListener('abort', () => stop.abort(), { once: true });
  let printed = 0;
  let lost: PicolinkError | undefined;
  // Wire names (pin_change, debounce_ms), as the protocol documents them and send --json prints them.
  device.on('rawEvent', (event) => {
    if (stop.signal.aborted) return;
    io.out(json ? JSON.stringify(event) + '\n' : eventLine(event) + '\n');
    printed += 1;
    if (count > 0 && printed >= count) stop.abort();
  });
  device.on('close', (reason) => {
    if (stop.signal.aborted) return;
    lost = new PicolinkError(reason?.code ?? ErrorCode.CONNECTION_CLOSED, `${url} closed the connection${reason ? `: ${reason.message}` : ''}`);
    stop.abort();
  });
  // Ctrl-C is caught from here on, before "watching" tells anyone they may press it.
  const stopped = waitForStop(stop.signal);
  try {
    const levels: string[] = [];
    for (const pin of pins) levels.push(`${pin} (reads ${String(await watchPin(device, pin, pull, io))})`);
    io.err(`picolink: watching ${levels.length > 0 ? `pin ${levels.join(', pin ')}` : 'events'} of ${url}; Ctrl-C ends\n`);
    await stopped;
  } finally {
    stop.abort();
    await device.close();
  }
  if (lost) throw lost;
  return ExitCode.OK;
}
