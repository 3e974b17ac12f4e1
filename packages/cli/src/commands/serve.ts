/** `picolink serve`: the tutorials' hello / echo / reverse servers, logging every message. */
import { formatServeEvent, isDelimiter, isServeMode, serveEventJson, startTextServer } from '@picolink/nettools';
import type { ServeEvent, TextServerOptions } from '@picolink/nettools';
import { booleanOption, intOption, optionSpecs, parseArgs, stringOption } from '../args.js';
import type { ParsedArgs } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { waitForStop } from '../stop-signal.js';

/** The embassy-net tutorial's port. */
const DEFAULT_SERVE_PORT = 9932;

export const SERVE_HELP = `Usage: picolink serve hello|echo|reverse [--tcp PORT] [--udp PORT] [options]

The servers the Pico W / Raspberry Pi socket tutorials run on the computer:
  hello     answers each message with "hello, <message>" (embassy-net tutorial, port 9932)
  echo      sends each message back (Rust std, Freenove)
  reverse   sends each message back with its bytes reversed (Rust std UDP server)
Many clients at once. Every connect, disconnect and message is logged with a timestamp,
one line each. Stop it with Ctrl-C.

Without --tcp, --udp or --port it listens on TCP and UDP port ${DEFAULT_SERVE_PORT} at once.

Options:
  --tcp PORT              listen for TCP on PORT (0: any free port)
  --udp PORT              listen for UDP on PORT; the same number as --tcp (0 too): one port for both
  --port PORT             TCP and UDP on the same PORT
  --host ADDRESS          address to listen on (default 0.0.0.0; 127.0.0.1: this computer only)
  --delimiter none|lf|nul how TCP messages end (default none: each read is one message, as the
                          tutorials' servers do; lf: lines, as telnet/netcat send; nul: NUL-
                          terminated, as tcpcom). UDP: each datagram is one message.
  --max-clients N         TCP clients at once; more are refused (default 64)
  --idle-timeout MS       close a TCP client silent this long (default 0: never)
  --max-message BYTES     longest message waiting for its delimiter; past it that client is
                          closed (default 65536)
  --json                  log one JSON object per line (NDJSON)

Exit codes: 0 stopped with Ctrl-C, 2 usage error, 3 a port could not be opened.
`;

const SERVE_OPTION_SPECS = optionSpecs(['tcp', 'udp', 'port', 'host', 'delimiter', 'max-clients', 'idle-timeout', 'max-message'], ['json']);

function portOption(args: ParsedArgs, name: string): number | undefined {
  return stringOption(args, name) === undefined ? undefined : intOption(args, name, 0, 0, 65535);
}

/** The server options a command line asks for. */
export function serveOptionsFrom(args: ParsedArgs): Omit<TextServerOptions, 'onEvent' | 'signal'> {
  const [mode, ...extra] = args.positionals;
  if (mode === undefined) throw usageError('say what to serve: picolink serve hello|echo|reverse');
  if (!isServeMode(mode)) throw usageError(`"${mode}" is not a server; choose hello, echo or reverse`);
  if (extra.length > 0) throw usageError(`unexpected "${extra[0]}"`);
  const delimiter = stringOption(args, 'delimiter') ?? 'none';
  if (!isDelimiter(delimiter)) throw usageError(`--delimiter must be none, lf or nul, got "${delimiter}"`);

  const both = portOption(args, 'port');
  let tcpPort = portOption(args, 'tcp');
  let udpPort = portOption(args, 'udp');
  if (both !== undefined && (tcpPort !== undefined || udpPort !== undefined)) {
    throw usageError('--port sets both TCP and UDP; use it alone, or --tcp and --udp');
  }
  if (both !== undefined || (tcpPort === undefined && udpPort === undefined)) {
    tcpPort = both ?? DEFAULT_SERVE_PORT;
    udpPort = tcpPort;
  }
  return {
    mode,
    delimiter,
    host: stringOption(args, 'host') ?? '0.0.0.0',
    ...(tcpPort !== undefined ? { tcpPort } : {}),
    ...(udpPort !== undefined ? { udpPort } : {}),
    maxClients: intOption(args, 'max-clients', 64, 1, 100_000),
    idleTimeoutMs: intOption(args, 'idle-timeout', 0, 0, 86_400_000),
    maxMessageBytes: intOption(args, 'max-message', 65_536, 1, 64 * 1024 * 1024),
  };
}

export async function runServe(argv: readonly string[], io: Output, signal?: AbortSignal): Promise<ExitCodeValue> {
  const args = parseArgs(argv, SERVE_OPTION_SPECS);
  const options = serveOptionsFrom(args);
  const json = booleanOption(args, 'json') === true;
  const log = (event: ServeEvent): void => {
    const now = Date.now();
    io.out((json ? serveEventJson(event, now) : formatServeEvent(event, now)) + '\n');
  };
  // Listening for Ctrl-C / SIGTERM before the "listening" lines: a stop sent on them is a clean stop.
  const stopped = waitForStop(signal);
  const server = await startTextServer({ ...options, onEvent: log });
  await stopped;
  await server.close();
  return ExitCode.OK;
}
