/** `picolink ping`: round-trip times to a device, like ping(8) over the control channel. */
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@picolink/client';
import { deviceUrl } from '../address.js';
import { parseArgs, booleanOption, intOption } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { connectionOptions, CONNECTION_OPTION_SPECS, CONNECTION_OPTIONS_HELP } from './connection-options.js';

export const PING_HELP = `Usage: picolink ping HOST[:PORT] [-n COUNT] [--interval MS] [options]

Send ping requests over one connection and report round-trip times (min/median/max).
Works with picolink devices and stock piconetcontrol servers.

Options:
  -n, --count N         number of pings (default 4)
  --interval MS         pause between pings in ms (default 200)
${CONNECTION_OPTIONS_HELP}
  --json                print one JSON object with every sample and the summary
`;

export interface PingSummary {
  count: number;
  min: number;
  median: number;
  max: number;
  samples: number[];
}

export function summarize(samples: readonly number[]): PingSummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { count: sorted.length, min: sorted[0] ?? 0, median, max: sorted[sorted.length - 1] ?? 0, samples: [...samples] };
}

const ms = (value: number): string => `${value.toFixed(3)} ms`;

export async function runPing(argv: readonly string[], io: Output): Promise<ExitCodeValue> {
  const args = parseArgs(argv, { count: { type: 'string', short: 'n' }, interval: { type: 'string' }, json: { type: 'boolean' }, ...CONNECTION_OPTION_SPECS });
  const [target, ...extra] = args.positionals;
  if (!target) throw usageError('give the device address: picolink ping HOST[:PORT]');
  if (extra.length > 0) throw usageError(`unexpected "${extra[0]}"`);
  const count = intOption(args, 'count', 4, 1, 1_000_000);
  const interval = intOption(args, 'interval', 200, 0, 3_600_000);
  const json = booleanOption(args, 'json') === true;
  const url = deviceUrl(target, booleanOption(args, 'tls'));
  const device = await connect(url, connectionOptions(args, intOption(args, 'timeout', 5000, 1, 600_000), io, url));
  const samples: number[] = [];
  try {
    for (let seq = 1; seq <= count; seq++) {
      const rtt = await device.ping();
      samples.push(rtt);
      if (!json) io.out(`reply from ${url}: seq=${seq} time=${ms(rtt)}\n`);
      if (seq < count && interval > 0) await sleep(interval);
    }
  } finally {
    await device.close();
  }
  const summary = summarize(samples);
  if (json) io.out(JSON.stringify({ url, ...summary }) + '\n');
  else io.out(`${summary.count} replies: min ${ms(summary.min)}, median ${ms(summary.median)}, max ${ms(summary.max)}\n`);
  return ExitCode.OK;
}
