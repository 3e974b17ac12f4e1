/**
 * Over-the-air update of firmware files (docs/protocol.md#update), in the order that
 * survives a power cut at any point:
 *
 * 1. decode every file (base64 of zlib data when compressed) and check the SHA-256
 *    digests; any problem and nothing on the device has been touched;
 * 2. write each file beside the old one as `name.new` and read it back to verify it;
 * 3. set the update marker, naming the files and which of them had an old version;
 * 4. keep each old file as `name.bak` and move `name.new` into place;
 * 5. restart. At start, with the marker set, the new files are checked: if they fail,
 *    the `.bak` files come back ("rolled_back"); either way the marker is cleared.
 */
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { FirmwareStore } from './store.js';

/** Marker file present between an update and the first start that checks it. */
export const UPDATE_MARKER = '.picolink-update.json';
/** The simulator treats a file containing this text as code that fails to start. */
export const SIM_FAIL_START = 'picolink-sim: fail-start';

/** Outcome of the last update, as get_info reports it. */
export interface UpdateStatus {
  status: 'none' | 'ok' | 'rolled_back';
  files: string[];
}

interface UpdateMarker {
  files: string[];
  /** Files that existed before the update and were kept as `.bak`. */
  backedUp: string[];
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes the `files` of an update request into final contents. */
export function decodeUpdateFiles(files: Record<string, string>, compress: boolean): Map<string, Buffer> {
  const decoded = new Map<string, Buffer>();
  for (const name of Object.keys(files).sort()) {
    checkReservedName(name);
    const content = files[name] ?? '';
    decoded.set(name, compress ? inflateBase64(name, content) : Buffer.from(content, 'utf8'));
  }
  return decoded;
}

/**
 * Checks `sha256` (when given) has a digest for every file and that each matches the
 * final content. Digests for files not sent are ignored (docs/protocol.md#action-update).
 */
export function checkUpdateHashes(decoded: Map<string, Buffer>, sha256: Record<string, string> | undefined): void {
  if (sha256 === undefined) return;
  for (const [name, content] of decoded) {
    const expected = sha256[name];
    if (expected === undefined) {
      throw new PicolinkError(ErrorCode.UPDATE_HASH, `"sha256" has no digest for "${name}"; give one for every file or none; nothing was replaced`);
    }
    const actual = sha256Hex(content);
    if (actual !== expected) {
      throw new PicolinkError(ErrorCode.UPDATE_HASH, `"${name}" has SHA-256 ${actual}, expected ${expected}; nothing was replaced`);
    }
  }
}

/** Steps 2-4 above. Returns the names written. The caller restarts the device. */
export async function installUpdate(store: FirmwareStore, decoded: Map<string, Buffer>): Promise<string[]> {
  const names = [...decoded.keys()];
  try {
    for (const [name, content] of decoded) {
      await store.write(`${name}.new`, content);
      const written = await store.read(`${name}.new`);
      if (written === undefined || sha256Hex(written) !== sha256Hex(content)) {
        throw new PicolinkError(ErrorCode.UPDATE_FILE, `"${name}" did not read back as written; is the device's storage full?`);
      }
    }
  } catch (err) {
    for (const name of names) await store.remove(`${name}.new`);
    if (err instanceof PicolinkError) throw err;
    throw new PicolinkError(ErrorCode.UPDATE_FILE, `cannot write the new files: ${(err as Error).message}; nothing was replaced`, { cause: err });
  }
  const backedUp: string[] = [];
  for (const name of names) if ((await store.read(name)) !== undefined) backedUp.push(name);
  const marker: UpdateMarker = { files: names, backedUp };
  await store.write(UPDATE_MARKER, Buffer.from(JSON.stringify(marker)));
  for (const name of names) {
    if (backedUp.includes(name)) await store.rename(name, `${name}.bak`);
    await store.rename(`${name}.new`, name);
  }
  return names;
}

/**
 * Start-up check (step 5). `failsToStart` decides whether a new file is code that does
 * not start. Returns the outcome, or undefined when no update was pending.
 */
export async function checkUpdateAtStart(
  store: FirmwareStore,
  failsToStart: (name: string, content: Uint8Array) => boolean = simulatedFailure,
): Promise<UpdateStatus | undefined> {
  const raw = await store.read(UPDATE_MARKER);
  if (raw === undefined) return undefined;
  const marker = parseMarker(raw);
  let healthy = marker !== undefined;
  if (marker) {
    for (const name of marker.files) {
      // A `.new` file still there means the swap was cut short: roll back.
      if ((await store.read(`${name}.new`)) !== undefined) healthy = false;
      const content = await store.read(name);
      if (content === undefined || failsToStart(name, content)) healthy = false;
    }
  }
  const files = marker?.files ?? [];
  if (!healthy && marker) for (const name of marker.files) await restoreFile(store, name, marker.backedUp.includes(name));
  await store.remove(UPDATE_MARKER);
  return { status: healthy ? 'ok' : 'rolled_back', files };
}

/** Puts back the version of `name` from before the update. */
async function restoreFile(store: FirmwareStore, name: string, hadOldVersion: boolean): Promise<void> {
  const swapped = (await store.read(`${name}.new`)) === undefined;
  if (!swapped) {
    // Cut short between "old → .bak" and ".new → name": only the .bak holds the old file.
    if (hadOldVersion && (await store.read(name)) === undefined) await store.rename(`${name}.bak`, name);
    await store.remove(`${name}.new`);
  } else if (hadOldVersion) {
    await store.rename(`${name}.bak`, name);
  } else {
    await store.remove(name);
  }
}

/** The simulator's notion of code that fails to start. */
export function simulatedFailure(_name: string, content: Uint8Array): boolean {
  return Buffer.from(content).includes(SIM_FAIL_START);
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function inflateBase64(name: string, content: string): Buffer {
  const text = content.replace(/\s+/g, '');
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new PicolinkError(ErrorCode.UPDATE_FILE, `"${name}" is not valid base64; with "compress" every file must be base64 of zlib data`);
  }
  try {
    return inflateSync(Buffer.from(text, 'base64'));
  } catch (err) {
    throw new PicolinkError(ErrorCode.UPDATE_FILE, `"${name}" is not zlib data (${(err as Error).message}); compress with zlib (RFC 1950), then base64`);
  }
}

function checkReservedName(name: string): void {
  if (name === UPDATE_MARKER || name.endsWith('.new') || name.endsWith('.bak')) {
    throw new PicolinkError(ErrorCode.UPDATE_FILE, `file name "${name}" is reserved for the update procedure; rename the file`);
  }
}

function parseMarker(raw: Uint8Array): UpdateMarker | undefined {
  try {
    const value = JSON.parse(Buffer.from(raw).toString('utf8')) as Partial<UpdateMarker>;
    const strings = (list: unknown): list is string[] => Array.isArray(list) && list.every((x) => typeof x === 'string');
    if (strings(value.files) && strings(value.backedUp)) return { files: value.files, backedUp: value.backedUp };
  } catch {
    // A torn marker means the swap never started cleanly; treated below as a failed update.
  }
  return undefined;
}
