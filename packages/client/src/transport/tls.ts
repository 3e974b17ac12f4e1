/**
 * The `tls://` transport. The certificate is checked before the socket is handed on
 * (@picolink/net's connect), so nothing is ever sent to a device that is not trusted:
 * pinned by fingerprint, verified against a CA, or trusted on first use and recorded in
 * the known-devices file (tls/verify.ts).
 */
import type { TLSSocket } from 'node:tls';
import { connect } from '@picolink/net';
import type { ConnectTlsOptions } from '@picolink/net';
import { checkFirstUse, trustPolicy } from '../tls/verify.js';
import type { TrustPolicy } from '../tls/verify.js';
import type { DeviceUrl } from '../url.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEVICE_CONNECT_HINT } from './transport.js';
import type { TransportOptions } from './transport.js';

export function openTls(url: DeviceUrl, options: TransportOptions): Promise<TLSSocket> {
  return connect({
    host: url.host,
    port: url.port,
    tls: tlsChecks(url.hostPort, trustPolicy(options)),
    timeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    peer: 'the device',
    hint: DEVICE_CONNECT_HINT,
    tlsHint: 'is the device serving TLS on this port? (a plain device takes tcp://)',
  });
}

function tlsChecks(hostPort: string, policy: TrustPolicy): ConnectTlsOptions {
  switch (policy.kind) {
    case 'pinned':
      return policy.ca === undefined ? { fingerprint: policy.fingerprint } : { fingerprint: policy.fingerprint, ca: policy.ca };
    case 'ca':
      return { ca: policy.ca };
    case 'first-use':
      return { verifyPeer: (fingerprint) => checkFirstUse(hostPort, fingerprint, policy) };
  }
}
