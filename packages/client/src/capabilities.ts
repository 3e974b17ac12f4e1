/** Refusing, with a clear message, what the connected device cannot do. */
import { ErrorCode, PicolinkError } from '@picolink/protocol';

export interface PeerFeatures {
  readonly url: string;
  readonly protocol: number | null;
  readonly capabilities: readonly string[];
}

/** Throws `PL_ERR_NOT_SUPPORTED` unless the device announced `capability`. */
export function requireCapability(peer: PeerFeatures, capability: string, feature: string): void {
  if (peer.protocol === null) {
    throw new PicolinkError(
      ErrorCode.NOT_SUPPORTED,
      `${feature} needs a picolink device; ${peer.url} runs piconetcontrol, which has no ${feature}`,
    );
  }
  if (!peer.capabilities.includes(capability)) {
    const offered = peer.capabilities.length > 0 ? peer.capabilities.join(', ') : 'none';
    throw new PicolinkError(
      ErrorCode.NOT_SUPPORTED,
      `${peer.url} does not offer ${feature} (capability "${capability}"; it offers: ${offered})`,
    );
  }
}
