/** What every example program shares: "am I the program being run?", options, Ctrl-C. */
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(resolve(script)).href === moduleUrl;
}

/**
 * `--name value` options of an example, all strings. `--help` prints the options and exits
 * 0; an unknown option or one without its value is one line on stderr and exit 2.
 */
export function options<const N extends string>(names: readonly N[]): Partial<Record<N, string>> {
  const spec = Object.fromEntries([...names.map((name) => [name, { type: 'string' as const }]), ['help', { type: 'boolean' as const, short: 'h' }]]);
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ options: spec, allowPositionals: false }).values;
  } catch (err) {
    return usageFailure(`${(err as Error).message.split('\n')[0]} (--help lists the options)`);
  }
  if (values.help === true) {
    console.log(`usage: node ${programName()} ${names.map((name) => `[--${name} VALUE]`).join(' ')}`);
    console.log('What each option means: the comment at the top of this program and the README beside it.');
    process.exit(0);
  }
  return values as Partial<Record<N, string>>;
}

/** A whole number from an option, or the default; anything else ends the program with exit 2. */
export function numberOption(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) return usageFailure(`expected a whole number, got "${value}"`);
  return n;
}

function programName(): string {
  return basename(process.argv[1] ?? 'program.js');
}

/** One line naming the program and what is wrong with its command line; exit 2. */
function usageFailure(message: string): never {
  console.error(`${programName()}: ${message}`);
  process.exit(2);
}

/** An AbortSignal that fires on Ctrl-C or SIGTERM. */
export function stopSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller.signal;
}

/** Waits `ms`, or less if `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal?.aborted) return done();
    const timer = setTimeout(finish, ms);
    signal?.addEventListener('abort', finish, { once: true });
    function finish(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      done();
    }
  });
}
