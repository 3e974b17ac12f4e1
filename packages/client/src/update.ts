/**
 * Building an update request (docs/protocol.md#update): each file's SHA-256 is computed
 * over its final content, so the device can check every file before replacing anything;
 * with `compress`, contents travel as base64 of zlib (RFC 1950) data.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { ErrorCode, PicolinkError } from '@picolink/protocol';

export interface UpdatePayload {
  files: Record<string, string>;
  compress: boolean;
  sha256: Record<string, string>;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function buildUpdate(files: Record<string, string | Uint8Array>, compress: boolean): UpdatePayload {
  const names = Object.keys(files);
  if (names.length === 0) throw new PicolinkError(ErrorCode.OUT_OF_RANGE, 'update needs at least one file');
  const payload: UpdatePayload = { files: {}, compress, sha256: {} };
  for (const name of names) {
    const content = files[name] as string | Uint8Array;
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    payload.sha256[name] = createHash('sha256').update(bytes).digest('hex');
    if (compress) {
      payload.files[name] = deflateSync(bytes).toString('base64');
    } else if (typeof content === 'string') {
      payload.files[name] = content;
    } else {
      payload.files[name] = decodeText(name, content);
    }
  }
  return payload;
}

function decodeText(name: string, bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new PicolinkError(ErrorCode.UPDATE_FILE, `file "${name}" is not UTF-8 text; pass compress: true to send binary content`);
  }
}
