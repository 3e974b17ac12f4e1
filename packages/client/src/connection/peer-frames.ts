/** Small pieces of frame handling shared by the connection. */
import { ErrorCode, errorResponse, PicolinkError, successResponse } from '@picolink/protocol';

/**
 * The answer to a request the device sent us (docs/protocol.md#messages): a client
 * answers `ping` (the device's heartbeat) and refuses everything else.
 */
export function answerPeerRequest(request: Record<string, unknown>): Record<string, unknown> {
  if (request.action === 'ping') return successResponse(request, {}, Date.now() * 1e6);
  return errorResponse(
    request,
    new PicolinkError(ErrorCode.UNKNOWN_ACTION, `unknown action "${String(request.action)}", a picolink client answers only "ping"`),
  );
}

/** A frame shortened for an error message. */
export function preview(frame: Record<string, unknown>): string {
  const text = JSON.stringify(frame);
  return text.length > 200 ? text.slice(0, 200) + '…' : text;
}
