/** `picolink certs`: a key and self-signed certificate for a device's TLS server. */
import { writeCertificateFiles } from '@picolink/client';
import { booleanOption, intOption, optionSpecs, parseArgs, stringOption } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import type { Output } from '../output.js';
import { renderTable } from '../table.js';

export const CERTS_HELP = `Usage: picolink certs DIR [--cn NAME] [--host NAME_OR_IP ...] [--days N] [--force] [--json]

Generate an EC P-256 key and a self-signed certificate for a device, in PEM (for
picolink device --tls-cert/--tls-key) and DER (for MicroPython on the Pico W), and print
the SHA-256 fingerprint that clients pin with --fingerprint.

Files written in DIR: device-key.pem, device-cert.pem, device-key.der, device-cert.der.

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
  });
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
