/**
 * The known-devices file: the certificate fingerprint first seen for each device, so a
 * later connection to the same `host:port` can tell when the certificate changed (like
 * ssh's known_hosts). One device per line, `host:port FINGERPRINT`; blank lines and lines
 * starting with `#` are ignored, as are lines that do not have that shape.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { isFingerprint, normalizeFingerprint } from '@picolink/protocol';

/** Environment variable that overrides the default known-devices path. */
export const KNOWN_DEVICES_ENV = 'PICOLINK_KNOWN_DEVICES';

/** One recorded device. */
export interface KnownDevice {
  /** `host:port` as written in the file (IPv6 in brackets). */
  hostPort: string;
  /** Canonical fingerprint ("AB:CD:..."). */
  fingerprint: string;
  /** 1-based line number in the file, for messages that tell a person what to remove. */
  line: number;
}

/** `$PICOLINK_KNOWN_DEVICES`, else `~/.picolink/known_devices`. */
export function defaultKnownDevicesPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[KNOWN_DEVICES_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv;
  return join(homedir(), '.picolink', 'known_devices');
}

/** Every device recorded in the file; a missing file holds none. */
export async function readKnownDevices(path: string): Promise<KnownDevice[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const devices: KnownDevice[] = [];
  text.split('\n').forEach((raw, index) => {
    const entry = parseLine(raw, index + 1);
    if (entry) devices.push(entry);
  });
  return devices;
}

/** The first entry for `hostPort`, if the device was seen before. */
export async function findKnownDevice(path: string, hostPort: string): Promise<KnownDevice | undefined> {
  const devices = await readKnownDevices(path);
  return devices.find((device) => device.hostPort === hostPort);
}

/**
 * Appends a device to the file, creating the file (mode 0600) and its directory (0700)
 * when needed. Returns the entry with its line number.
 */
export async function addKnownDevice(path: string, hostPort: string, fingerprint: string): Promise<KnownDevice> {
  const canonical = normalizeFingerprint(fingerprint);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let existing = '';
  try {
    existing = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // A file edited by hand may lack its final newline; the new entry must start a line.
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
  await appendFile(path, `${separator}${hostPort} ${canonical}\n`, { mode: 0o600 });
  const line = (existing + separator).split('\n').length;
  return { hostPort, fingerprint: canonical, line };
}

function parseLine(raw: string, line: number): KnownDevice | undefined {
  const text = raw.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  const [hostPort, fingerprint, ...rest] = text.split(/\s+/);
  if (hostPort === undefined || fingerprint === undefined || rest.length > 0 || !isFingerprint(fingerprint)) return undefined;
  return { hostPort, fingerprint: normalizeFingerprint(fingerprint), line };
}
