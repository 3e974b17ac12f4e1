/**
 * Where the device keeps its firmware files (the agent's .py files on a Pico W). The
 * update procedure (update.ts) needs only these few operations, so the same procedure
 * runs against memory (the simulator's default) and a real directory (--files-dir).
 */

export interface FirmwareStore {
  /** Content of a file, or undefined when it does not exist. */
  read(name: string): Promise<Uint8Array | undefined>;
  /** Creates or replaces a file. */
  write(name: string, data: Uint8Array): Promise<void>;
  /** Renames a file, replacing `to` if it exists. */
  rename(from: string, to: string): Promise<void>;
  /** Deletes a file; no error when it does not exist. */
  remove(name: string): Promise<void>;
  /** Names of all files, sorted. */
  list(): Promise<string[]>;
}

/** Files held in memory; lost when the process ends. */
export class MemoryFirmwareStore implements FirmwareStore {
  private readonly files = new Map<string, Uint8Array>();

  /** @param initial files present at start, name → text or bytes */
  constructor(initial: Record<string, string | Uint8Array> = {}) {
    for (const [name, content] of Object.entries(initial)) {
      this.files.set(name, typeof content === 'string' ? new TextEncoder().encode(content) : content.slice());
    }
  }

  async read(name: string): Promise<Uint8Array | undefined> {
    return this.files.get(name)?.slice();
  }

  async write(name: string, data: Uint8Array): Promise<void> {
    this.files.set(name, data.slice());
  }

  async rename(from: string, to: string): Promise<void> {
    const data = this.files.get(from);
    if (data === undefined) throw new Error(`cannot rename ${from}: no such file`);
    this.files.delete(from);
    this.files.set(to, data);
  }

  async remove(name: string): Promise<void> {
    this.files.delete(name);
  }

  async list(): Promise<string[]> {
    return [...this.files.keys()].sort();
  }
}
