/** Runs one `picolink` command line; returns the exit code. Used by main.ts and tests. */
import { toPicolinkError } from '@picolink/protocol';
import { runAgent } from './commands/agent.js';
import { runCerts } from './commands/certs.js';
import { runDemo } from './commands/demo.js';
import { runDevice } from './commands/device.js';
import { runHub } from './commands/hub.js';
import { runPing } from './commands/ping.js';
import { runSend } from './commands/send.js';
import { runServe } from './commands/serve.js';
import { runSim } from './commands/sim.js';
import { runTerm } from './commands/term.js';
import { runUpdate } from './commands/update.js';
import { runWatch } from './commands/watch.js';
import { ExitCode, exitCodeFor, usageError } from './exit-codes.js';
import type { ExitCodeValue } from './exit-codes.js';
import { COMMAND_HELP, MAIN_HELP } from './help.js';
import type { Output } from './output.js';
import { VERSION } from './version.js';

type Command = (argv: readonly string[], io: Output, signal?: AbortSignal) => Promise<ExitCodeValue>;

const COMMANDS: Record<string, Command> = {
  send: runSend,
  ping: runPing,
  device: runDevice,
  certs: runCerts,
  demo: runDemo,
  hub: runHub,
  serve: runServe,
  term: runTerm,
  agent: runAgent,
  watch: runWatch,
  update: runUpdate,
  sim: runSim,
};

export async function runCli(argv: readonly string[], io: Output, signal?: AbortSignal): Promise<ExitCodeValue> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '-h' || name === '--help') {
      io.out(MAIN_HELP);
      return name === undefined ? ExitCode.USAGE : ExitCode.OK;
    }
    if (name === '--version' || name === '-v') {
      io.out(`picolink ${VERSION}\n`);
      return ExitCode.OK;
    }
    if (name === 'help') {
      const topic = rest[0];
      const text = topic === undefined ? MAIN_HELP : COMMAND_HELP[topic];
      if (text === undefined) throw usageError(`no command "${topic}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
      io.out(text);
      return ExitCode.OK;
    }
    const command = COMMANDS[name];
    if (!command) throw usageError(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')} (see picolink --help)`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(COMMAND_HELP[name] ?? MAIN_HELP);
      return ExitCode.OK;
    }
    return await command(rest, io, signal);
  } catch (err) {
    const coded = toPicolinkError(err);
    io.err(`picolink: ${coded.message.split('\n')[0]}\n`);
    return exitCodeFor(coded);
  }
}
