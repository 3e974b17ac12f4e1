/** Runs one `picolink` command line; returns the exit code. Used by main.ts and tests. */
import { toPicolinkError } from '@picolink/protocol';
import { COMMANDS } from './commands.js';
import { ExitCode, exitCodeFor, usageError } from './exit-codes.js';
import type { ExitCodeValue } from './exit-codes.js';
import { explainFailure } from './explain.js';
import { MAIN_HELP } from './help.js';
import type { Output } from './output.js';
import { VERSION } from './version.js';
import { WarningLog } from './warnings.js';

const commandList = (): string => Object.keys(COMMANDS).join(', ');

export async function runCli(argv: readonly string[], io: Output, signal?: AbortSignal): Promise<ExitCodeValue> {
  const [name, ...rest] = argv;
  const warnings = new WarningLog();
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
      if (topic === undefined) {
        io.out(MAIN_HELP);
        return ExitCode.OK;
      }
      const load = COMMANDS[topic];
      if (!load) throw usageError(`no command "${topic}"; commands: ${commandList()}`);
      io.out((await load()).help);
      return ExitCode.OK;
    }
    const load = COMMANDS[name];
    if (!load) throw usageError(`unknown command "${name}"; commands: ${commandList()} (see picolink --help)`);
    const command = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(command.help);
      return ExitCode.OK;
    }
    warnings.start(io);
    const code = await command.run(rest, io, signal);
    WarningLog.say(io, await warnings.take());
    return code;
  } catch (err) {
    const failure = toPicolinkError(err);
    const seen = await warnings.take();
    const coded = explainFailure(failure, seen);
    // An explained failure has used its warnings; otherwise they are said before it.
    if (coded === failure) WarningLog.say(io, seen);
    io.err(`picolink: ${coded.message.split('\n')[0]}\n`);
    return exitCodeFor(coded);
  } finally {
    warnings.stop();
  }
}
