/**
 * `picolink update`: over-the-air update of a device's files, with a progress bar: the
 * SHA-256 of every file goes along and the device checks them all before it replaces
 * anything; it then restarts into the new files and rolls back if they fail to start.
 * The command waits for it to come back and reports the version it runs, or the rollback.
 */
import { readFile } from 'node:fs/promises';
import { connect } from '@picolink/client';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { deviceUrl } from '../address.js';
import { booleanOption, intOption, optionSpecs, parseArgs, stringOption } from '../args.js';
import { ExitCode, usageError } from '../exit-codes.js';
import type { ExitCodeValue } from '../exit-codes.js';
import { processOutput } from '../output.js';
import type { Output } from '../output.js';
import { collectPeerErrors } from './answer.js';
import { connectionOptions, CONNECTION_OPTION_SPECS, CONNECTION_OPTIONS_HELP } from './connection-options.js';
import { allText, checkChecksums, parseChecksums, readUpdateDir } from './update-files.js';
import { UpdateProgress } from './update-progress.js';
import { waitForRestart } from './update-wait.js';

export const UPDATE_HELP = `Usage: picolink update HOST[:PORT] DIR [options]
       picolink update hub://HOST[:PORT]/devices/ID DIR [options]

Over-the-air update: send every file under DIR (named by its path relative to DIR;
hidden files are left out) with its SHA-256. The device checks every digest before it
replaces anything, restarts into the new files, and puts the old ones back if the new
ones fail to start. A progress bar shows the steps on stderr; the command waits for the
device to come back and prints the version it runs, or the rollback. Through a hub
(hub://) the API token is --token or PICOLINK_TOKEN.

Options:
  --checksums FILE      check the files against these digests first ("SHA256  NAME" lines,
                        as sha256sum prints them, names relative to DIR); a mismatch sends nothing
  --compress            send the files as base64 of zlib data (default: only when a file is
                        not UTF-8 text, e.g. .mpy bytecode)
  --wait MS             how long to wait for the device to come back (default 30000)
${CONNECTION_OPTIONS_HELP}
  --json                print the outcome as one JSON object

Example:
  picolink update 192.168.4.20 ./build/agent

Exit codes: 0 the new files run, 1 the device refused the update or rolled it back,
2 usage, 3 the device could not be reached or did not come back.
`;

const kB = (bytes: number): string => (bytes < 1000 ? `${bytes} B` : `${(bytes / 1000).toFixed(1)} kB`);

export async function runUpdate(argv: readonly string[], io: Output): Promise<ExitCodeValue> {
  const args = parseArgs(argv, { ...optionSpecs(['checksums', 'wait'], ['compress', 'json']), ...CONNECTION_OPTION_SPECS });
  const [target, dir, ...extra] = args.positionals;
  if (target === undefined || dir === undefined) throw usageError('give the device and the directory: picolink update HOST[:PORT] DIR');
  if (extra.length > 0) throw usageError(`unexpected "${extra[0]}"; give one directory`);
  const json = booleanOption(args, 'json') === true;
  const waitMs = intOption(args, 'wait', 30_000, 1, 3_600_000);
  const url = deviceUrl(target, booleanOption(args, 'tls'));
  const options = connectionOptions(args, intOption(args, 'timeout', 5000, 1, 600_000), io, url);
  const progress = new UpdateProgress(json ? { out: () => {}, err: () => {} } : io, 3, io === processOutput && process.stderr.isTTY === true);

  const files = await readUpdateDir(dir, (file, index, total) => progress.show(index / total, `reading ${file.name}`, true));
  const checksums = stringOption(args, 'checksums');
  if (checksums !== undefined) {
    const text = await readFile(checksums, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw usageError(`cannot read ${checksums}: ${err.code ?? err.message}`);
    });
    checkChecksums(files, parseChecksums(text, checksums), checksums);
  }
  const bytes = files.reduce((sum, file) => sum + file.content.length, 0);
  const compress = booleanOption(args, 'compress') === true || !allText(files);
  progress.show(1, `${files.length} file${files.length === 1 ? '' : 's'} (${kB(bytes)}) read, SHA-256 computed${checksums === undefined ? '' : ` and matching ${checksums}`}`);

  const device = await connect(url, options);
  const peerError = collectPeerErrors(device);
  const previousVersion = device.version;
  let updated: string[];
  let delayMs: number;
  let acceptedAt: number;
  try {
    progress.show(1.5, `sending to ${url}${compress ? ' (compressed)' : ''}`, true);
    const result = await device.update(Object.fromEntries(files.map((file) => [file.name, file.content])), { compress }).catch((err: unknown) => {
      // A device that cannot read a frame answers without an id, then closes the connection.
      if (peerError()?.message.includes(ErrorCode.FRAME_TOO_LARGE)) {
        throw new PicolinkError(
          ErrorCode.FRAME_TOO_LARGE,
          `the device refused the update as larger than its frame limit (${kB(bytes)} in ${files.length} file${files.length === 1 ? '' : 's'}); update fewer files at a time${compress ? '' : ', or add --compress'}`,
        );
      }
      throw err;
    });
    acceptedAt = performance.now();
    updated = result.updated;
    delayMs = result.delayMs ?? 0;
  } finally {
    await device.close();
  }
  progress.show(2, `the device verified and installed ${updated.length} file${updated.length === 1 ? '' : 's'}; it restarts in ${delayMs} ms`);
  progress.show(2.5, 'waiting for the device to come back', true);
  const back = await waitForRestart(url, options, acceptedAt, delayMs, waitMs);
  const seconds = `${(back.afterMs / 1000).toFixed(1)} s`;
  progress.show(3, `the device answered again after ${seconds}`);
  progress.end();

  const lastUpdate = (back.info.last_update ?? {}) as { status?: unknown; files?: unknown };
  const status = typeof lastUpdate.status === 'string' ? lastUpdate.status : 'unknown';
  const version = typeof back.info.firmware === 'string' ? back.info.firmware : 'unknown';
  if (json) {
    io.out(JSON.stringify({ url, status, version, previousVersion, restartMs: Math.round(back.afterMs), files: files.map(({ name, content, sha256 }) => ({ name, bytes: content.length, sha256 })) }) + '\n');
  } else if (status === 'ok') {
    io.out(`update ok: ${updated.join(', ')} running; version ${version} (${version === previousVersion ? 'unchanged' : `was ${previousVersion}`})\n`);
  } else if (status === 'rolled_back') {
    io.out(`update rolled back: the new files (${updated.join(', ')}) failed to start; the device put the old ones back and runs version ${version}\n`);
  } else {
    io.out(`update sent: ${updated.join(', ')}; the device came back (version ${version}) without reporting whether the new files started\n`);
  }
  return status === 'rolled_back' ? ExitCode.COMMAND_FAILED : ExitCode.OK;
}
