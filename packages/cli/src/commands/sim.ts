/** `picolink sim input`: drive a simulated device's inputs from outside, as a button would. */
import { connect } from '@picolink/client';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { deviceUrl } from '../address.js';
import { booleanOption, intOption, parseArgs } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { collectPeerErrors, requireOk } from './answer.js';
import { pinWord } from './watch.js';
import { connectionOptions, CONNECTION_OPTION_SPECS, CONNECTION_OPTIONS_HELP } from './connection-options.js';

export const SIM_HELP = `Usage: picolink sim input HOST[:PORT] PIN LEVEL [options]

Apply LEVEL (0 or 1) to input PIN of a simulated device (picolink device --sim), as a
button or a wire would: read_pin reads it, and watches (picolink watch) see a pin_change.
The level stays until the next sim input; it is what the pin reads once it is set up as
an input. Only the simulator answers this (its simulator-only action sim_input); a real
Pico W answers PL_ERR_UNKNOWN_ACTION.

Options:
${CONNECTION_OPTIONS_HELP}
  --json                print the result as one JSON object

Example:
  picolink sim input localhost:12345 15 0      # prints: pin 15 input set to 0
`;

export async function runSim(argv: readonly string[], io: Output): Promise<ExitCodeValue> {
  const args = parseArgs(argv, { json: { type: 'boolean' }, ...CONNECTION_OPTION_SPECS });
  const [subcommand, target, pinText, levelText, ...extra] = args.positionals;
  if (subcommand !== 'input') throw usageError(`${subcommand === undefined ? 'give a subcommand' : `no sim subcommand "${subcommand}"`}: picolink sim input HOST[:PORT] PIN LEVEL`);
  if (target === undefined || pinText === undefined || levelText === undefined) throw usageError('give the device, the pin and the level: picolink sim input HOST[:PORT] PIN 0|1');
  if (extra.length > 0) throw usageError(`unexpected "${extra[0]}"`);
  const pin = pinWord(pinText, 'PIN');
  if (levelText !== '0' && levelText !== '1') throw usageError(`LEVEL must be 0 or 1, got "${levelText}"`);
  const value = Number(levelText);
  const url = deviceUrl(target, booleanOption(args, 'tls'));
  if (url.startsWith('hub://')) throw usageError('sim input talks to the simulated device itself (the HOST:PORT picolink device --sim prints); a hub does not pass simulator-only actions on');
  const device = await connect(url, connectionOptions(args, intOption(args, 'timeout', 5000, 1, 600_000), io, url));
  collectPeerErrors(device, io);
  let response: Record<string, unknown>;
  try {
    if (device.protocol === null) throw new PicolinkError(ErrorCode.UNKNOWN_ACTION, `${url} is a piconetcontrol server, not a simulated picolink device (picolink device --sim)`);
    response = await device.send({ action: 'sim_input', pin, value });
  } finally {
    await device.close();
  }
  requireOk(response, {
    [ErrorCode.UNKNOWN_ACTION]: `${url} has no simulated pins: sim input drives only a simulated device (picolink device --sim)`,
  });
  const mode = typeof response.mode === 'string' ? response.mode : undefined;
  if (booleanOption(args, 'json') === true) io.out(JSON.stringify({ pin, value, mode }) + '\n');
  else io.out(`pin ${pin} input set to ${value}\n`);
  if (mode !== undefined && mode !== 'input') {
    io.err(`picolink: pin ${pin} is not set up as an input (${mode}); it reads ${value} once it is (setup_pin mode=input)\n`);
  }
  return ExitCode.OK;
}
