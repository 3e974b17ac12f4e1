import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ErrorCode, PicolinkError } from './errors.js';
import { isFingerprint, normalizeFingerprint } from './fingerprint.js';

const hex = 'ab'.repeat(16) + '0123456789abcdef'.repeat(2);
const canonical = (hex.toUpperCase().match(/../g) ?? []).join(':');

test('fingerprints are read with or without colons, in any case, with an optional SHA256: prefix', () => {
  for (const input of [hex, hex.toUpperCase(), canonical, canonical.toLowerCase(), `SHA256:${canonical}`, `sha256:${hex}`, `  ${canonical}\n`, `SHA-256:${hex}`]) {
    assert.equal(normalizeFingerprint(input), canonical, input);
  }
});

test('malformed fingerprints are refused with PL_ERR_USAGE saying what is expected', () => {
  for (const input of ['', 'AB:CD', hex + '00', hex.slice(0, 63) + 'g', 'SHA1:' + hex]) {
    assert.equal(isFingerprint(input), false, input);
    assert.throws(
      () => normalizeFingerprint(input),
      (err: unknown) => err instanceof PicolinkError && err.code === ErrorCode.USAGE && /64 hex digits/.test(err.message),
    );
  }
});
