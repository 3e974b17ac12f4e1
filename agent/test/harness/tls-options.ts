/**
 * The TLS parts of the behaviour suite's options, for the routes that have TLS (CPython and
 * the unix port): a board serving TLS with DER files, as `picolink agent bundle --tls`
 * writes them for the Pico W, and a certificate for a TLS hub stand-in. Each call makes a
 * fresh certificate, so a second one is another hub's.
 */
import { generateCertificate } from '@picolink/client';
import type { SuiteOptions } from '../suite.js';

export const TLS_SUITE_OPTIONS: SuiteOptions = {
  tls: true,
  tlsBoard: () => {
    const cert = generateCertificate({ commonName: 'test-pico', hosts: ['127.0.0.1'] });
    return {
      files: { 'device-cert.der': cert.certDer, 'device-key.der': cert.keyDer },
      config: { tls_cert: 'device-cert.der', tls_key: 'device-key.der' },
      fingerprint: cert.fingerprint,
    };
  },
  hubCert: () => {
    const cert = generateCertificate({ commonName: 'test-hub', hosts: ['127.0.0.1'] });
    return { cert: cert.certPem, key: cert.keyPem, fingerprint: cert.fingerprint };
  },
};
