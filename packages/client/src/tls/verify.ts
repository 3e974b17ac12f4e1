/**
 * How the client decides to trust a device's TLS certificate (docs/protocol.md#tls):
 * pinned by fingerprint, verified against a CA, or trusted on first use and recorded in
 * the known-devices file. Verification is never skipped: the trust-on-first-use path
 * records what it trusted and refuses a changed certificate later.
 */
import { ErrorCode, normalizeFingerprint, PicolinkError } from '@picolink/protocol';
import { addKnownDevice, defaultKnownDevicesPath, findKnownDevice } from './known-devices.js';

export interface TlsTrustOptions {
  /**
   * Expected SHA-256 fingerprint of the device's certificate ("AB:CD:...", with or without
   * colons, any case, optional "SHA256:" prefix). When set, only that certificate is accepted.
   */
  fingerprint?: string;
  /**
   * CA certificate(s) in PEM: verify the device's certificate chain and host name against
   * them (as an HTTPS client does) instead of using the known-devices file.
   */
  ca?: string | Buffer | Array<string | Buffer>;
  /**
   * Known-devices file used when neither `fingerprint` nor `ca` is given.
   * Default: `$PICOLINK_KNOWN_DEVICES`, else `~/.picolink/known_devices`.
   */
  knownDevicesFile?: string;
  /**
   * Called when a device is seen for the first time and its fingerprint is recorded, so a
   * program can tell the person ("trusting new device ... fingerprint ..."). Default: none.
   */
  onNewFingerprint?: (hostPort: string, fingerprint: string) => void;
}

/** The trust decision derived from the options. */
export type TrustPolicy =
  | { kind: 'pinned'; fingerprint: string; ca?: TlsTrustOptions['ca'] }
  | { kind: 'ca'; ca: NonNullable<TlsTrustOptions['ca']> }
  | { kind: 'first-use'; path: string; onNewFingerprint?: (hostPort: string, fingerprint: string) => void };

/** Reads the options into a policy; throws `PL_ERR_USAGE` for a malformed fingerprint. */
export function trustPolicy(options: TlsTrustOptions): TrustPolicy {
  if (options.fingerprint !== undefined) {
    const fingerprint = normalizeFingerprint(options.fingerprint);
    return options.ca === undefined ? { kind: 'pinned', fingerprint } : { kind: 'pinned', fingerprint, ca: options.ca };
  }
  if (options.ca !== undefined) return { kind: 'ca', ca: options.ca };
  const policy: TrustPolicy = { kind: 'first-use', path: options.knownDevicesFile ?? defaultKnownDevicesPath() };
  if (options.onNewFingerprint) policy.onNewFingerprint = options.onNewFingerprint;
  return policy;
}

/**
 * Trust on first use: an unknown device's fingerprint (canonical form) is recorded and
 * reported to `onNewFingerprint`; a known device must present the recorded one, else
 * `PL_ERR_TLS_FINGERPRINT_MISMATCH`. (Pinned fingerprints and CAs are checked by
 * @picolink/net's connect.)
 */
export async function checkFirstUse(hostPort: string, actual: string, policy: Extract<TrustPolicy, { kind: 'first-use' }>): Promise<void> {
  const known = await findKnownDevice(policy.path, hostPort);
  if (known === undefined) {
    await addKnownDevice(policy.path, hostPort, actual);
    policy.onNewFingerprint?.(hostPort, actual);
    return;
  }
  if (known.fingerprint !== actual) {
    throw new PicolinkError(
      ErrorCode.TLS_FINGERPRINT_MISMATCH,
      `the certificate of ${hostPort} has changed since it was first trusted (recorded ${known.fingerprint}, now ${actual}); ` +
        'someone may be intercepting the connection, or the device got a new certificate. ' +
        `If you expect the change, remove line ${known.line} of ${policy.path} and connect again.`,
    );
  }
}
