/**
 * The handshake (docs/protocol.md#handshake): the first request is
 * `{"id":1,"action":"get_version"}`. A numeric `protocol` >= 1 in the answer means a
 * picolink peer (pipelined when it lists "pipeline"); anything else is a stock
 * piconetcontrol server, spoken to one request at a time without ids.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { isErrorResponse, responseError } from '../response-error.js';
import type { Connection } from './connection.js';

/** What the handshake learned about the peer. */
export interface PeerInfo {
  /** Protocol version, or null for a piconetcontrol server. */
  protocol: number | null;
  capabilities: string[];
  version: string;
}

export async function handshake(connection: Connection): Promise<PeerInfo> {
  let answer: Record<string, unknown>;
  try {
    answer = await connection.request({ action: 'get_version' });
  } catch (err) {
    throw handshakeFailure(connection.peerName, err);
  }
  const version = typeof answer.version === 'string' ? answer.version : String(answer.version ?? '');
  if (typeof answer.protocol === 'number' && answer.protocol >= 1) {
    if (isErrorResponse(answer)) throw responseError(answer);
    const capabilities = Array.isArray(answer.capabilities) ? answer.capabilities.filter((c): c is string => typeof c === 'string') : [];
    connection.matching = capabilities.includes('pipeline') ? 'pipeline' : 'serial';
    return { protocol: answer.protocol, capabilities, version };
  }
  if (isErrorResponse(answer)) {
    const cause = responseError(answer);
    throw new PicolinkError(ErrorCode.BAD_RESPONSE, `${connection.peerName} answered get_version with an error: ${cause.message}`, { cause });
  }
  connection.matching = 'legacy';
  return { protocol: null, capabilities: [], version };
}

function handshakeFailure(peer: string, err: unknown): unknown {
  if (!(err instanceof PicolinkError)) return err;
  // A device that refuses the connection says why in a closing event (e.g. too many clients).
  if (err.cause instanceof PicolinkError && err.cause.code !== ErrorCode.CONNECTION_CLOSED) return err.cause;
  if (err.code === ErrorCode.TIMEOUT) {
    return new PicolinkError(
      ErrorCode.CONNECT_FAILED,
      `${peer} accepted the connection but did not answer get_version within the timeout; is it a picolink or piconetcontrol device? (a device serving TLS takes tls://)`,
      { cause: err },
    );
  }
  if (err.code === ErrorCode.CONNECTION_CLOSED) {
    return new PicolinkError(
      ErrorCode.CONNECT_FAILED,
      `${peer} closed the connection during the handshake; if the device serves TLS, use tls://`,
      { cause: err },
    );
  }
  return err;
}
