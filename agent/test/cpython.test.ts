// The agent suite under CPython (python3), with shim modules for machine, network,
// micropython, tls and time.ticks_* (test/python/).
import { generateCertificate } from '@picolink/client';
import { agentSuite } from './suite.js';

agentSuite('cpython', {
  tls: true,
  tlsBoard: () => {
    // DER files, as `picolink agent bundle --tls` writes them for the Pico W.
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
});
