/**
 * The hub's API token: drawn at random on first start (32 bytes, base64url) and kept in
 * the data directory as `api-token`, readable by the owner only (0600), so restarts keep
 * the token people and scripts already use.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PicolinkError } from '@picolink/protocol';

export const API_TOKEN_FILE = 'api-token';

export interface ApiToken {
  token: string;
  /** Where it is kept. */
  path: string;
  /** True when this start drew it. */
  created: boolean;
}

/** Reads the token from `dataDir`, or creates it there. */
export async function loadOrCreateApiToken(dataDir: string): Promise<ApiToken> {
  const path = join(dataDir, API_TOKEN_FILE);
  const existing = await readToken(path);
  if (existing !== undefined) return { token: existing, path, created: false };
  await mkdir(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  try {
    // "wx": two hubs starting at once on one data directory must not each write their own.
    await writeFile(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const raced = await readToken(path);
      if (raced !== undefined) return { token: raced, path, created: false };
    }
    throw new PicolinkError(ErrorCode.CONFIG, `cannot write the API token to ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; check "dataDir"`);
  }
  return { token, path, created: true };
}

async function readToken(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PicolinkError(ErrorCode.CONFIG, `cannot read the API token ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const token = text.trim();
  if (!/^[A-Za-z0-9._~+/=-]{16,512}$/.test(token)) {
    throw new PicolinkError(ErrorCode.CONFIG, `the API token file ${path} does not hold a token (16-512 characters, no spaces); delete it to have a new one drawn`);
  }
  // Someone may have loosened the mode by hand; a token must not be readable by others.
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  return token;
}
