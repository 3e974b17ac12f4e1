/** `picolink --help`: every command, one line each, and where to read more. */

export const MAIN_HELP = `picolink — control and monitor Raspberry Pi Pico W and Linux boards over TCP and UDP

Usage: picolink COMMAND [options]

Commands:
  send HOST[:PORT] -c ...   send commands (piconetcontrol syntax) and print the responses
  ping HOST[:PORT]          round-trip times to a device
  watch HOST[:PORT]         print a device's events as they come (--pin N: pin N's changes)
  update HOST[:PORT] DIR    over-the-air update of the agent's files, with verification and rollback
  sim input HOST PIN 0|1    apply a level to an input of a simulated device (a button press)
  device --sim              run a (simulated) picolink device
  certs DIR                 generate a device TLS key and certificate, print its fingerprint
  hub                       run the hub: device gateway, telemetry, storage, HTTP API
  demo                      a hub with three simulated Pico Ws, and what to try (npm start)
  serve hello|echo|reverse  the socket tutorials' servers over TCP and UDP, logging every message
  term tcp|udp HOST PORT    a terminal for TCP and UDP (also: term listen tcp|udp PORT)
  agent bundle OUTDIR ...   write the MicroPython agent and its config for a Pico W
                            (--compile: its modules as .mpy bytecode, made by mpy-cross)
  help [COMMAND]            show help for a command

Options for every command:
  -h, --help                show help
  --version                 print the picolink version
  --json                    machine-readable output (where a command prints results)

Exit codes: 0 ok, 1 a command was answered with an error, 2 usage error,
3 the device or server could not be reached, or a port could not be opened.

Environment:
  PICOLINK_TOKEN            the hub's API token for hub:// addresses (what --token gives)

Run "picolink help COMMAND" for a command's options. Docs: docs/protocol.md, docs/errors.md.
`;
