/**
 * `picolink demo` (what `npm start` runs): a simulated Pico W on this machine, and how
 * to talk to it.
 */
import { startDevice } from '@picolink/device';
import { parseArgs } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { waitForStop } from '../stop-signal.js';
import { deviceOptionsFrom, DEVICE_OPTION_SPECS } from './device.js';

export const DEMO_HELP = `Usage: picolink demo [--port PORT] [--host ADDRESS]

Start a simulated Pico W (default 127.0.0.1:12345) and print commands to try against it.
This is what "npm start" runs. Stop it with Ctrl-C.
`;

export async function runDemo(argv: readonly string[], io: Output, signal?: AbortSignal): Promise<ExitCodeValue> {
  const args = parseArgs(argv, DEVICE_OPTION_SPECS);
  if (args.positionals.length > 0) throw usageError(`unexpected "${args.positionals[0]}"`);
  if (args.options.host === undefined) args.options.host = '127.0.0.1';
  if (args.options.id === undefined) args.options.id = 'demo-pico';
  const options = await deviceOptionsFrom(args, io);
  const device = await startDevice(options);
  const at = device.url.replace(/^tcp:\/\//, '');
  io.out(
    [
      `A simulated Pico W ("${options.deviceId}") is listening on ${device.url}.`,
      '',
      'In another terminal, try:',
      `  npx picolink ping ${at}`,
      `  npx picolink send ${at} -c action=get_info`,
      `  npx picolink send ${at} -c action=setup_pin pin=2 mode=output value=0 safe=0 -c action=write_pin pin=2 value=1 timeout=5 -c action=read_pin pin=2`,
      `  npx picolink send ${at} -c action=read_adc channel=4`,
      '',
      'Any piconetcontrol client works too (plain TCP: its --no-ssl switch). Ctrl-C stops the device.',
      '',
    ].join('\n'),
  );
  await waitForStop(signal);
  await device.close();
  return ExitCode.OK;
}
