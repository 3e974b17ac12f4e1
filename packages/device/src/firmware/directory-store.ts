/** Firmware files kept in a directory on disk (`picolink device --files-dir DIR`). */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { FirmwareStore } from './store.js';

export class DirectoryFirmwareStore implements FirmwareStore {
  /** @param dir directory holding the files; created on first write */
  constructor(readonly dir: string) {}

  async read(name: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(this.path(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async write(name: string, data: Uint8Array): Promise<void> {
    const path = this.path(name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data);
  }

  async rename(from: string, to: string): Promise<void> {
    const target = this.path(to);
    await mkdir(dirname(target), { recursive: true });
    await rename(this.path(from), target);
  }

  async remove(name: string): Promise<void> {
    await rm(this.path(name), { force: true });
  }

  async list(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.dir, { recursive: true, withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => relative(this.dir, join(entry.parentPath ?? entry.path, entry.name)).split(sep).join('/'))
      .sort();
  }

  /** File names were checked by the protocol (no "..", no leading "/"); join is safe. */
  private path(name: string): string {
    return join(this.dir, ...name.split('/'));
  }
}
