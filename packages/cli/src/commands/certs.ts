/** `picolink certs`: a key and self-signed certificate for a device's TLS server. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCertificateFiles } from '@picolink/client';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { booleanOption, intOption, optionSpecs, parseArgs, stringOption } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { renderTable } from '../table.js';

export const CERTS_HELP = `Usage: picolink certs DIR [--cn NAME] [--host NAME_OR_IP ...] [--days N] [--force] [--json]

Generate an EC P-256 key and a self-signed certificate for a device, in PEM (for
picolink device --tls-cert/--tls-key) and DER (for MicroPython on the Pico W), and print
the SHA-256 fingerprint that clients pin with --fingerprint.

Files written in DIR: device-key.pem, device-cert.pem, device-key.der, device-cert.der,
and a .gitignore with "*-key.*" (the key files are private: they stay out of git).

Options:
  --cn NAME             certificate common name (default "picolink-device")
  --host NAME_OR_IP     a DNS name or IP address the device is reached by (repeatable)
  --days N              validity in days (default 3650)
  --force               overwrite existing files
  --json                print the paths and fingerprint as JSON
`;

export async function runCerts(argv: readonly string[], io: Output): Promise<ExitCodeValue> {
  const args = parseArgs(argv, { ...optionSpecs(['cn', 'days'], ['force', 'json']), host: { type: 'string', multiple: true } });
  const [dir, ...extra] = args.positionals;
  if (!dir) throw usageError('give the directory to write into: picolink certs DIR');
  if (extra.length > 0) throw usageError(`unexpected "${extra[0]}"`);
  const hosts = (args.options.host as string[] | undefined) ?? [];
  const result = await writeCertificateFiles(dir, {
    commonName: stringOption(args, 'cn') ?? 'picolink-device',
    hosts,
    days: intOption(args, 'days', 3650, 1, 36500),
    force: booleanOption(args, 'force') === true,
  }).catch((err: unknown) => {
    // The SDK's refusal names its option `force`; on the command line it is --force.
    if (err instanceof PicolinkError && err.code === ErrorCode.USAGE) throw usageError(err.message.replace(/\(pass force to do so\)$/, '(pass --force to do so)'));
    throw err;
  });
  const ignore = await ignoreKeys(dir);
  io.err(
    `picolink: device-key.pem and device-key.der are the device's private key: copy them only to the device and keep them out of version control (${ignore} has ${KEY_PATTERN})\n`,
  );
  if (booleanOption(args, 'json') === true) {
    io.out(JSON.stringify(result) + '\n');
  } else {
    const rows = Object.entries(result.paths).map(([what, path]) => [what, path]);
    io.out(renderTable(['file', 'path'], rows));
    io.out(`\nSHA-256 fingerprint: ${result.fingerprint}\n`);
    io.out(`Pin it on the client: picolink send tls://HOST --fingerprint ${result.fingerprint} -c action=ping\n`);
  }
  return ExitCode.OK;
}

/** Git pattern of the private key files. */
const KEY_PATTERN = '*-key.*';

/** Adds the key pattern to DIR/.gitignore (created if missing); returns its path. */
async function ignoreKeys(dir: string): Promise<string> {
  const path = join(dir, '.gitignore');
  const existing = await readFile(path, 'utf8').catch(() => '');
  if (!existing.split('\n').some((line) => line.trim() === KEY_PATTERN)) {
    const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
    await writeFile(path, `${existing}${separator}# private keys written by picolink certs\n${KEY_PATTERN}\n`);
  }
  return path;
}
