/**
 * A small command-line parser: `--name value`, `--name=value`, boolean `--flag` /
 * `--no-flag`, short aliases, repeatable options and positionals. Anything it does not
 * understand is a usage error naming the bad word.
 */
import { usageError } from './exit-codes.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Collect every occurrence into a list. */
  multiple?: boolean;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** Specs of options that take a value (`strings`) and of on/off flags (`flags`), by name. */
export function optionSpecs(strings: readonly string[], flags: readonly string[] = []): OptionSpecs {
  return Object.fromEntries([...strings.map((name) => [name, { type: 'string' }]), ...flags.map((name) => [name, { type: 'boolean' }])]);
}

export interface ParsedArgs {
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parseArgs(argv: readonly string[], specs: OptionSpecs): ParsedArgs {
  const options: ParsedArgs['options'] = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.short) byShort.set(spec.short, name);

  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? '';
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith('-') || word === '-' || /^-\d/.test(word)) {
      positionals.push(word);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      name = eq === -1 ? word.slice(2) : word.slice(2, eq);
      inline = eq === -1 ? undefined : word.slice(eq + 1);
    } else {
      const long = byShort.get(word.slice(1));
      if (!long) throw usageError(`unknown option ${word}; see --help`);
      name = long;
    }
    const spec = specs[name];
    if (!spec && name.startsWith('no-') && specs[name.slice(3)]?.type === 'boolean') {
      options[name.slice(3)] = false;
      continue;
    }
    if (!spec) throw usageError(`unknown option --${name}; see --help`);
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw usageError(`option --${name} takes no value`);
      options[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined) throw usageError(`option --${name} needs a value`);
      i += 1;
    }
    if (spec.multiple) {
      const list = (options[name] as string[] | undefined) ?? [];
      list.push(value);
      options[name] = list;
    } else {
      options[name] = value;
    }
  }
  return { options, positionals };
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.options[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanOption(args: ParsedArgs, name: string): boolean | undefined {
  const value = args.options[name];
  return typeof value === 'boolean' ? value : undefined;
}

/** An integer option within [min, max], or the default. */
export function intOption(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const text = stringOption(args, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < min || n > max) {
    throw usageError(`--${name} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return n;
}
