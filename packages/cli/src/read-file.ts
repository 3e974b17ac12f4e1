/** Reads a file named on the command line; a file that cannot be read is a one-line usage error. */
import { readFile } from 'node:fs/promises';
import { usageError } from './exit-codes.js';

const WHY: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** The text of `path` (UTF-8); `option` (e.g. "--file") names where it was given. */
export async function readTextFile(path: string, option: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw usageError(`cannot read ${option} ${path}: ${WHY[code] ?? (err instanceof Error ? err.message : String(err))}`);
  }
}
