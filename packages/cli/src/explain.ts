/**
 * A failure said in terms of what the person typed. The SDK's errors name what happened
 * on the wire; a few of them have a likelier cause at the command line: the wrong port
 * of a hub, TLS to a plain-TCP device, or a hub:// address without --token.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';

/** A web server answering the protocol's first line: its status line arrives as an unreadable frame. */
const HTTP_STATUS_LINE = /^(\S+) sent a frame that cannot be read: .*"HTTP\/\d(?:\.\d)? \d/;

function httpPort(failure: PicolinkError, warnings: readonly Error[]): PicolinkError | undefined {
  if (failure.code !== ErrorCode.CONNECT_FAILED && failure.code !== ErrorCode.CONNECTION_CLOSED && failure.code !== ErrorCode.TIMEOUT) return undefined;
  for (const warning of warnings) {
    const peer = HTTP_STATUS_LINE.exec(warning.message)?.[1];
    if (peer === undefined) continue;
    return new PicolinkError(
      ErrorCode.CONNECT_FAILED,
      `${peer} answered in HTTP: it is a web server (a hub's HTTP API?), not a device; reach a device through the hub: picolink send hub://${peer}/devices/ID --token TOKEN`,
      { cause: failure },
    );
  }
  return undefined;
}

function gatewayPort(failure: PicolinkError): PicolinkError | undefined {
  const cause = failure.cause;
  if (failure.code !== ErrorCode.BAD_RESPONSE || !(cause instanceof PicolinkError) || cause.code !== ErrorCode.UNAUTHORIZED) return undefined;
  if (!/dial-home/.test(cause.message)) return undefined;
  const peer = /^(\S+) answered get_version/.exec(failure.message)?.[1] ?? 'that address';
  return new PicolinkError(
    ErrorCode.CONNECT_FAILED,
    `${peer} is a hub's device gateway, where devices dial home, not a device; commands go through the hub's HTTP port: picolink send hub://HOST:8080/devices/ID --token TOKEN`,
    { cause: failure },
  );
}

function tlsToPlainTcp(failure: PicolinkError): PicolinkError | undefined {
  if (failure.code !== ErrorCode.TLS_HANDSHAKE) return undefined;
  const cause = failure.cause as { code?: unknown } | undefined;
  if (cause?.code !== 'ERR_SSL_WRONG_VERSION_NUMBER' && !/wrong version number/.test(failure.message)) return undefined;
  const target = /TLS handshake with (\S+) failed/.exec(failure.message)?.[1] ?? 'the device';
  return new PicolinkError(
    ErrorCode.TLS_HANDSHAKE,
    `${target} answered without TLS: it serves plain TCP on this port; use tcp://${target} (or leave out --tls)`,
    { cause: failure },
  );
}

function hubToken(failure: PicolinkError): PicolinkError | undefined {
  if (failure.code !== ErrorCode.UNAUTHORIZED) return undefined;
  const refusal = /^(.* refused the link to "[^"]*"): /.exec(failure.message)?.[1];
  if (refusal === undefined) return undefined;
  return new PicolinkError(
    ErrorCode.UNAUTHORIZED,
    `${refusal}: the hub's API token is missing or wrong; pass --token TOKEN or set PICOLINK_TOKEN (picolink hub prints the token)`,
    { cause: failure },
  );
}

/** The failure as the person should read it; the same object when nothing better is known. */
export function explainFailure(failure: PicolinkError, warnings: readonly Error[]): PicolinkError {
  return httpPort(failure, warnings) ?? gatewayPort(failure) ?? tlsToPlainTcp(failure) ?? hubToken(failure) ?? failure;
}
