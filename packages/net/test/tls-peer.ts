/** A TLS server on loopback with a fresh self-signed certificate (openssl CLI), for connect tests. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:tls';
import type { Server } from 'node:tls';
import type { AddressInfo } from 'node:net';

export interface TlsPeer {
  server: Server;
  port: number;
  certPem: string;
  fingerprint: string;
  close(): Promise<void>;
}

function selfSigned(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'picolink-net-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const subject = '/CN=localhost';
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', subject, '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Serves TLS on 127.0.0.1, port 0; every connection is answered with "hi\n". */
export async function startTlsPeer(): Promise<TlsPeer> {
  const { cert, key } = selfSigned();
  const server = createServer({ cert, key }, (socket) => socket.end('hi\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    certPem: cert,
    fingerprint: new X509Certificate(cert).fingerprint256,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
