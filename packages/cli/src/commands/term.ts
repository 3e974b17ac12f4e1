/**
 * `picolink term`: a terminal for TCP and UDP — as a client or listening — at a TTY
 * (line mode with a prompt) or in scripts (stdin, or --send ... --wait).
 */
import { isLineEnding, TerminalCore } from '@picolink/nettools';
import type { DisplayLine, TermTarget } from '@picolink/nettools';
import { booleanOption, intOption, optionSpecs, parseArgs, stringOption } from '../args.js';
import type { ParsedArgs } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { runInteractiveTerm } from './term-interactive.js';
import { runScriptedTerm } from './term-script.js';

export const TERM_HELP = `Usage: picolink term tcp|udp HOST PORT [options]
       picolink term listen tcp|udp PORT [--host ADDRESS] [options]

A terminal for TCP and UDP: telnet for TCP, and the one that was missing for UDP.
  term tcp HOST PORT          connect to a TCP server (a Pico W running a socket example)
  term udp HOST PORT          send datagrams to HOST:PORT and show the replies
  term listen tcp PORT        wait for TCP clients (a Pico W that connects to the computer)
  term listen udp PORT        receive datagrams; lines typed go to the last sender

At a terminal, type a line and press Enter to send it; what arrives is printed above
the prompt. Ctrl-D or Ctrl-C quits. When stdin is not a terminal, each line read from
it is sent; --send sends messages without reading stdin.
Received text is shown a line at a time (a line ends at LF, CR LF or NUL); control
bytes are shown escaped (\\x1b), so a peer cannot take over the terminal.
Status lines start with "*" (on stderr when not at a terminal).

Options:
  --eol lf|crlf|nul|none   added to each line sent (default lf for TCP, none for UDP: a
                           datagram is one message; nul for tcpcom peers)
  --hex                    show received bytes as a hex dump
  --timestamps             show the time of arrival before each line
  --send MSG               send MSG (repeatable), print what comes back during --wait, exit
  --wait MS                how long to wait for replies after the last line sent (default 1000)
  --host ADDRESS           listen: address to listen on (default 0.0.0.0)
  --connect-timeout MS     give up connecting after MS (default 5000)

Exit codes: 0 ok, 2 usage error, 3 cannot connect, the connection failed, a UDP port
answered "unreachable", or a port could not be opened for listening.
`;

const TERM_OPTION_SPECS = { ...optionSpecs(['eol', 'wait', 'host', 'connect-timeout'], ['hex', 'timestamps']), send: { type: 'string', multiple: true } } as const;

function transportOf(word: string | undefined): 'tcp' | 'udp' {
  if (word === 'tcp' || word === 'udp') return word;
  throw usageError(word === undefined ? 'say tcp or udp: picolink term tcp|udp HOST PORT' : `"${word}" is not tcp or udp`);
}

function portOf(word: string | undefined, min: number): number {
  const port = Number(word);
  if (word === undefined || !/^\d+$/.test(word) || port < min || port > 65535) {
    throw usageError(word === undefined ? 'give the port' : `the port must be a number from ${min} to 65535, got "${word}"`);
  }
  return port;
}

/** The link a command line asks for. */
export function termTarget(args: ParsedArgs): TermTarget {
  const [first, ...rest] = args.positionals;
  if (first === 'listen') {
    const [transport, port, ...extra] = rest;
    if (extra.length > 0) throw usageError(`unexpected "${extra[0]}"`);
    return { role: 'listen', transport: transportOf(transport), host: stringOption(args, 'host') ?? '0.0.0.0', port: portOf(port, 0) };
  }
  const [host, port, ...extra] = rest;
  const transport = transportOf(first);
  if (host === undefined) throw usageError(`give the host and port: picolink term ${transport} HOST PORT`);
  if (extra.length > 0) throw usageError(`unexpected "${extra[0]}"`);
  if (stringOption(args, 'host') !== undefined) throw usageError('--host is for listen; give the host to connect to as HOST');
  return { role: 'connect', transport, host, port: portOf(port, 1) };
}

export async function runTerm(argv: readonly string[], io: Output, signal?: AbortSignal): Promise<ExitCodeValue> {
  const args = parseArgs(argv, TERM_OPTION_SPECS);
  const target = termTarget(args);
  // A datagram is a message already: by default UDP lines go out as typed, TCP lines end in LF.
  const eol = stringOption(args, 'eol') ?? (target.transport === 'udp' ? 'none' : 'lf');
  if (!isLineEnding(eol)) throw usageError(`--eol must be lf, crlf, nul or none, got "${eol}"`);
  const sends = (args.options.send as string[] | undefined) ?? [];
  if (sends.length > 0 && target.role === 'listen') throw usageError('--send needs a peer to send to; use it with term tcp|udp HOST PORT');
  const waitMs = intOption(args, 'wait', 1000, 0, 3_600_000);
  const connectTimeoutMs = intOption(args, 'connect-timeout', 5000, 1, 600_000);
  const core = new TerminalCore({ eol, hex: booleanOption(args, 'hex') === true, timestamps: booleanOption(args, 'timestamps') === true });

  if (process.stdin.isTTY === true && sends.length === 0) return runInteractiveTerm(target, core, connectTimeoutMs, signal);
  const show = (lines: DisplayLine[]): void => {
    for (const line of lines) {
      if (line.kind === 'data') io.out(line.text + '\n');
      else io.err(line.text + '\n');
    }
  };
  await runScriptedTerm(target, core, show, { sends, waitMs, connectTimeoutMs, ...(signal ? { signal } : {}) });
  return ExitCode.OK;
}
