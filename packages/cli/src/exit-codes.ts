/** Exit codes of the `picolink` command (README "Exit codes"). */
import { ErrorCode, PicolinkError } from '@picolink/protocol';

export const ExitCode = {
  OK: 0,
  /** A command reached the device and was answered with an error. */
  COMMAND_FAILED: 1,
  /** The command line itself is wrong, or the hub configuration it names. */
  USAGE: 2,
  /** The device could not be reached, or stopped answering; or a port could not be opened to listen on. */
  UNREACHABLE: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  ErrorCode.CONNECT_FAILED,
  ErrorCode.TIMEOUT,
  ErrorCode.CONNECTION_CLOSED,
  ErrorCode.TLS_HANDSHAKE,
  ErrorCode.TLS_FINGERPRINT_MISMATCH,
  ErrorCode.IDLE_TIMEOUT,
  ErrorCode.TOO_MANY_CLIENTS,
  ErrorCode.LISTEN_FAILED,
  // Through a hub: the hub refused the link, does not know the device, or the device is offline.
  ErrorCode.UNAUTHORIZED,
  ErrorCode.UNKNOWN_DEVICE,
  ErrorCode.DEVICE_OFFLINE,
]);

/** The exit code for an error that ended a command. */
export function exitCodeFor(err: unknown): ExitCodeValue {
  if (err instanceof PicolinkError) {
    if (err.code === ErrorCode.USAGE || err.code === ErrorCode.BAD_URL || err.code === ErrorCode.CONFIG) return ExitCode.USAGE;
    if (UNREACHABLE_CODES.has(err.code)) return ExitCode.UNREACHABLE;
  }
  return ExitCode.COMMAND_FAILED;
}

/** A usage error: the command line cannot be carried out as written. */
export function usageError(message: string): PicolinkError {
  return new PicolinkError(ErrorCode.USAGE, message);
}
