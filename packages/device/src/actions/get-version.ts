/** get_version: firmware version and protocol; the client's handshake (docs/protocol.md#handshake). */
import { PROTOCOL_VERSION } from '@picolink/protocol';
import { capabilitiesFor } from './context.js';
import type { ActionHandler } from './context.js';

export const getVersion: ActionHandler<'get_version'> = function getVersion(_request, context) {
  return { version: context.runtime.firmwareVersion, protocol: PROTOCOL_VERSION, capabilities: capabilitiesFor(context) };
};
