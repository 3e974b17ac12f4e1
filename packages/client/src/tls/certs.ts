/**
 * Device certificates: an EC P-256 key and a self-signed X.509 v3 certificate, built with
 * the DER encoder in der.ts and signed with node:crypto, so creating one needs no openssl.
 * The DER files are what the MicroPython agent loads (`ssl.SSLContext.load_cert_chain`
 * takes DER there); the PEM files are what Node and the hub load.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { access, chmod, mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import * as der from './der.js';
import { fingerprintOf } from './fingerprint.js';

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

const KEY_USAGE_DIGITAL_SIGNATURE = 0;
const GENERAL_NAME_DNS = 2;
const GENERAL_NAME_IP = 7;
const DAY_MS = 24 * 3600 * 1000;
/** Start of validity is set a little in the past, so a device whose clock lags accepts it. */
const BACKDATE_MS = 5 * 60 * 1000;

export interface CertificateOptions {
  /** Subject and issuer common name, e.g. the device id ("pico-kitchen"). */
  commonName: string;
  /** DNS names and IP addresses the device is reached at (subjectAltName). Default none. */
  hosts?: string[];
  /** Days the certificate is valid from now. Default 3650 (ten years). */
  days?: number;
  /** Start of validity. Default: now minus five minutes. */
  notBefore?: Date;
}

export interface GeneratedCertificate {
  /** Private key, PKCS#8 PEM ("BEGIN PRIVATE KEY"). */
  keyPem: string;
  /** Certificate PEM. */
  certPem: string;
  /** Private key, SEC1 DER (what MicroPython loads). */
  keyDer: Buffer;
  /** Certificate DER. */
  certDer: Buffer;
  /** SHA-256 fingerprint of the certificate, "AB:CD:...". */
  fingerprint: string;
}

/** Creates a key pair and a self-signed certificate for a device. */
export function generateCertificate(options: CertificateOptions): GeneratedCertificate {
  const commonName = options.commonName.trim();
  if (commonName === '') throw usage('commonName must not be empty');
  const days = options.days ?? 3650;
  if (!Number.isFinite(days) || days <= 0) throw usage(`days must be a positive number, got ${days}`);
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const notBefore = options.notBefore ?? new Date(Date.now() - BACKDATE_MS);
  const notAfter = new Date(notBefore.getTime() + BACKDATE_MS + days * DAY_MS);
  const tbs = tbsCertificate({
    serial: randomSerial(),
    commonName,
    notBefore,
    notAfter,
    spki: publicKey.export({ type: 'spki', format: 'der' }),
    hosts: options.hosts ?? [],
  });
  const certDer = signCertificate(tbs, privateKey);
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certPem: toPem('CERTIFICATE', certDer),
    keyDer: privateKey.export({ type: 'sec1', format: 'der' }),
    certDer,
    fingerprint: fingerprintOf(certDer),
  };
}

export interface CertificateFiles {
  /** Where each file was written. */
  paths: { keyPem: string; certPem: string; keyDer: string; certDer: string };
  /** SHA-256 fingerprint of the certificate, "AB:CD:...", for clients to pin. */
  fingerprint: string;
}

/**
 * Generates a certificate and writes `device-key.pem`, `device-cert.pem`,
 * `device-key.der` and `device-cert.der` into `dir` (created if needed; key files mode
 * 0600). Refuses with `PL_ERR_USAGE` when any of them exists, unless `force` is set.
 */
export async function writeCertificateFiles(dir: string, options: CertificateOptions & { force?: boolean }): Promise<CertificateFiles> {
  const paths = {
    keyPem: join(dir, 'device-key.pem'),
    certPem: join(dir, 'device-cert.pem'),
    keyDer: join(dir, 'device-key.der'),
    certDer: join(dir, 'device-cert.der'),
  };
  if (options.force !== true) {
    for (const path of Object.values(paths)) {
      if (await access(path).then(() => true, () => false)) {
        throw usage(`${path} already exists; overwriting it would replace the device's key and certificate (pass force to do so)`);
      }
    }
  }
  const generated = generateCertificate(options);
  await mkdir(dir, { recursive: true });
  const flag = options.force === true ? 'w' : 'wx';
  await writeFile(paths.keyPem, generated.keyPem, { mode: 0o600, flag });
  await writeFile(paths.keyDer, generated.keyDer, { mode: 0o600, flag });
  await writeFile(paths.certPem, generated.certPem, { mode: 0o644, flag });
  await writeFile(paths.certDer, generated.certDer, { mode: 0o644, flag });
  // writeFile applies `mode` only when it creates the file; an overwritten key keeps its old mode.
  await chmod(paths.keyPem, 0o600);
  await chmod(paths.keyDer, 0o600);
  return { paths, fingerprint: generated.fingerprint };
}

interface TbsInput {
  serial: Buffer;
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  hosts: string[];
}

function tbsCertificate(input: TbsInput): Buffer {
  const name = der.sequence(der.setOf(der.sequence(der.oid(OID.commonName), der.utf8String(input.commonName))));
  return der.sequence(
    der.explicit(0, der.integer(2)), // version: v3
    der.unsignedInteger(input.serial),
    signatureAlgorithm(),
    name, // issuer: self-signed, so the same as the subject
    der.sequence(der.x509Time(input.notBefore), der.x509Time(input.notAfter)),
    name,
    input.spki,
    der.explicit(3, der.sequence(...extensions(input.hosts))),
  );
}

function extensions(hosts: string[]): Buffer[] {
  const list = [
    extension(OID.basicConstraints, true, der.sequence()), // cA defaults to FALSE
    extension(OID.keyUsage, true, der.namedBits([KEY_USAGE_DIGITAL_SIGNATURE])),
    extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.serverAuth))),
  ];
  if (hosts.length > 0) list.push(extension(OID.subjectAltName, false, der.sequence(...hosts.map(generalName))));
  return list;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  const parts = [der.oid(id)];
  if (critical) parts.push(der.boolean(true)); // FALSE is the default, and DER omits defaults
  parts.push(der.octetString(value));
  return der.sequence(...parts);
}

function generalName(host: string): Buffer {
  const family = isIP(host);
  if (family === 4) return der.implicit(GENERAL_NAME_IP, Buffer.from(host.split('.').map(Number)));
  if (family === 6) return der.implicit(GENERAL_NAME_IP, ipv6Bytes(host));
  if (!/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host)) {
    throw usage(`"${host}" is neither an IP address nor a DNS name`);
  }
  return der.implicit(GENERAL_NAME_DNS, Buffer.from(host.toLowerCase(), 'ascii'));
}

function ipv6Bytes(address: string): Buffer {
  let text = address.split('%')[0] ?? '';
  // An embedded IPv4 tail ("::ffff:10.0.0.1") becomes two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const bytes = Buffer.alloc(16);
  [...headGroups, ...zeros, ...tailGroups].forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

function signatureAlgorithm(): Buffer {
  // RFC 5758: ecdsa-with-SHA256 has no parameters field at all.
  return der.sequence(der.oid(OID.ecdsaWithSha256));
}

function signCertificate(tbs: Buffer, key: KeyObject): Buffer {
  const signature = sign('sha256', tbs, key); // DER-encoded ECDSA-Sig-Value
  return der.sequence(tbs, signatureAlgorithm(), der.bitString(signature));
}

function randomSerial(): Buffer {
  const serial = randomBytes(16);
  // Positive and non-zero, at most 20 octets once a sign byte is added (RFC 5280 4.1.2.2).
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  return serial;
}

function toPem(label: string, bytes: Buffer): string {
  const body = bytes.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

function usage(message: string): PicolinkError {
  return new PicolinkError(ErrorCode.USAGE, message);
}
