/**
 * `picolink term` at a terminal: a prompt to type lines into, and what arrives printed
 * above it without disturbing what is being typed. Ctrl-D or Ctrl-C quits.
 */
import { clearLine, createInterface, cursorTo } from 'node:readline';
import type { DisplayLine, TermTarget, TerminalCore } from '@picolink/nettools';
import { ExitCode } from '../exit-codes.js';
import { waitForStop } from '../stop-signal.js';
import type { ExitCodeValue } from '../exit-codes.js';
import { startTermSession } from './term-session.js';

const EOL_WORDS = { lf: 'LF', crlf: 'CR LF', nul: 'a NUL byte', none: 'nothing' } as const;

export async function runInteractiveTerm(target: TermTarget, core: TerminalCore, connectTimeoutMs: number, signal?: AbortSignal): Promise<ExitCodeValue> {
  const output = process.stdout;
  let prompting = false;
  const rl = createInterface({ input: process.stdin, output, prompt: '> ', terminal: true, historySize: 200 });

  function show(lines: DisplayLine[]): void {
    if (lines.length === 0) return;
    if (prompting) {
      clearLine(output, 0);
      cursorTo(output, 0);
    }
    output.write(lines.map((line) => line.text).join('\n') + '\n');
    if (prompting) rl.prompt(true);
  }

  let session;
  try {
    session = await startTermSession(target, core, show, { connectTimeoutMs, showWarnings: true });
  } catch (err) {
    rl.close();
    throw err;
  }
  const unit = target.transport === 'udp' ? 'each line is one datagram' : 'each line is sent';
  const ending = core.eol === 'none' ? unit : `${unit}, followed by ${EOL_WORDS[core.eol]}`;
  show([core.status(`type a line and press Enter; ${ending}. Ctrl-D or Ctrl-C quits.`)]);
  prompting = true;
  rl.prompt();

  rl.on('line', (line) => {
    if (session.sendLine(line) === 0) show([core.status('not sent: nobody to send to yet')]);
    rl.prompt();
  });
  rl.on('SIGINT', () => rl.close());

  const typedQuit = new Promise<'quit'>((resolve) => rl.once('close', () => resolve('quit')));
  const stopped = waitForStop(signal).then(() => 'quit' as const);
  const outcome = await Promise.race([typedQuit, stopped, session.ended]);
  prompting = false;
  rl.close();
  output.write('\n');
  if (outcome === 'quit') await session.close();
  else if (outcome) throw outcome;
  return ExitCode.OK;
}
