/**
 * The files of `picolink update DIR`: every regular file under DIR, named by its path
 * relative to DIR with "/" separators; hidden files and directories (".git", ".DS_Store")
 * are left out. Optionally checked against a `sha256sum`-style list before anything is sent.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { usageError } from '../exit-codes.js';

export interface UpdateFile {
  name: string;
  content: Buffer;
  sha256: string;
}

/** Reads and hashes the files under `dir`, sorted by name; `onFile` sees each as it is read. */
export async function readUpdateDir(dir: string, onFile: (file: UpdateFile, index: number, total: number) => void = () => {}): Promise<UpdateFile[]> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw usageError(`${dir} is not a directory; give the directory holding the files to install`);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath ?? entry.path, entry.name)).split(sep).join('/'))
    .filter((name) => !name.split('/').some((part) => part.startsWith('.')))
    .sort();
  if (names.length === 0) throw usageError(`${dir} has no files to install (hidden files are left out)`);
  const files: UpdateFile[] = [];
  for (const name of names) {
    const content = await readFile(join(dir, ...name.split('/')));
    const file = { name, content, sha256: createHash('sha256').update(content).digest('hex') };
    files.push(file);
    onFile(file, files.length, names.length);
  }
  return files;
}

/** Parses `sha256sum` output: "HEX  NAME" (or "HEX *NAME") per line; names relative to DIR. */
export function parseChecksums(text: string, path: string): Map<string, string> {
  const sums = new Map<string, string>();
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trimEnd());
    if (!match?.[1] || !match[2]) throw usageError(`${path} line ${index + 1} is not "SHA256  NAME" (as sha256sum prints it)`);
    sums.set(match[2].replace(/^\.\//, ''), match[1].toLowerCase());
  });
  return sums;
}

/** Every file must be listed with its digest; the first mismatch stops the update before anything is sent. */
export function checkChecksums(files: readonly UpdateFile[], sums: ReadonlyMap<string, string>, path: string): void {
  for (const file of files) {
    const expected = sums.get(file.name);
    if (expected === undefined) throw usageError(`${path} has no SHA-256 for ${file.name}; list every file (sha256sum FILES > ${path})`);
    if (expected !== file.sha256) {
      throw new PicolinkError(ErrorCode.UPDATE_HASH, `${file.name} has SHA-256 ${file.sha256}, ${path} says ${expected}; nothing was sent`);
    }
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** True when every file is UTF-8 text, so it can travel uncompressed. */
export function allText(files: readonly UpdateFile[]): boolean {
  try {
    for (const file of files) strictUtf8.decode(file.content);
    return true;
  } catch {
    return false;
  }
}
