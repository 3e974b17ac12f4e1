/** `picolink device --tls-cert FILE --tls-key FILE`: the PEM pair, checked before the server starts. */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { DeviceOptions } from '@picolink/device';
import { stringOption } from '../args.js';
import type { ParsedArgs } from '../args.js';
import { usageError } from '../exit-codes.js';
import { readTextFile } from '../read-file.js';

const PEM_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const PEM_CERT = /-----BEGIN CERTIFICATE-----/;

/**
 * Says which file is wrong when the pair cannot serve TLS: swapped files, a file of the
 * wrong kind, or a key that is not the certificate's. Node would say `internal error` or
 * an OpenSSL code only once a client connects.
 */
export function checkTlsPair(cert: string, key: string, certFile: string, keyFile: string): void {
  if (PEM_KEY.test(cert) && PEM_CERT.test(key)) {
    throw usageError(`--tls-cert ${certFile} holds a private key and --tls-key ${keyFile} a certificate; swap them`);
  }
  if (!PEM_CERT.test(cert)) throw usageError(`--tls-cert ${certFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----); picolink certs DIR writes one`);
  if (!PEM_KEY.test(key)) throw usageError(`--tls-key ${keyFile} holds no PEM private key (-----BEGIN PRIVATE KEY-----); picolink certs DIR writes one`);
  let matches: boolean;
  try {
    matches = new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw usageError(`--tls-cert ${certFile} and --tls-key ${keyFile} cannot be read as PEM: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!matches) throw usageError(`--tls-key ${keyFile} is not the private key of --tls-cert ${certFile}; give the pair picolink certs wrote together`);
}

export async function tlsOption(args: ParsedArgs): Promise<DeviceOptions['tls']> {
  const certFile = stringOption(args, 'tls-cert');
  const keyFile = stringOption(args, 'tls-key');
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw usageError('TLS needs both --tls-cert FILE and --tls-key FILE');
  const cert = await readTextFile(certFile, '--tls-cert');
  const key = await readTextFile(keyFile, '--tls-key');
  checkTlsPair(cert, key, certFile, keyFile);
  return { cert, key };
}
