/** `picolink --help`: every command, one line each, and where to read more. */
import { CERTS_HELP } from './commands/certs.js';
import { DEMO_HELP } from './commands/demo.js';
import { DEVICE_HELP } from './commands/device.js';
import { PING_HELP } from './commands/ping.js';
import { SEND_HELP } from './commands/send.js';

export const MAIN_HELP = `picolink — control and monitor Raspberry Pi Pico W and Linux boards over TCP and UDP

Usage: picolink COMMAND [options]

Commands:
  send HOST[:PORT] -c ...   send commands (piconetcontrol syntax) and print the responses
  ping HOST[:PORT]          round-trip times to a device
  device --sim              run a (simulated) picolink device
  certs DIR                 generate a device TLS key and certificate, print its fingerprint
  demo                      start a simulated Pico W and show what to try (npm start)
  help [COMMAND]            show help for a command

Options for every command:
  -h, --help                show help
  --version                 print the picolink version
  --json                    machine-readable output (where a command prints results)

Exit codes: 0 ok, 1 a command was answered with an error, 2 usage error,
3 the device could not be reached.

Run "picolink help COMMAND" for a command's options. Docs: docs/protocol.md, docs/errors.md.
`;

export const COMMAND_HELP: Record<string, string> = {
  send: SEND_HELP,
  ping: PING_HELP,
  device: DEVICE_HELP,
  certs: CERTS_HELP,
  demo: DEMO_HELP,
};
