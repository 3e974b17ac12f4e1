/**
 * The bridge's MQTT.js client, and how it trusts a TLS broker: the system's CAs, a CA
 * file (`mqtt.tls.ca`), or the broker certificate's SHA-256 fingerprint
 * (`mqtt.tls.fingerprint`, docs/mqtt.md#tls).
 *
 * With a fingerprint, MQTT.js is given a stream that holds everything it writes (the
 * CONNECT packet carries the password) until the broker's certificate has been checked,
 * and that ends the connection with PL_ERR_TLS_FINGERPRINT_MISMATCH when it differs.
 */
import { isIP } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { connect, MqttClient } from 'mqtt';
import type { IClientOptions } from 'mqtt';
import { ErrorCode, normalizeFingerprint, PicolinkError } from '@picolink/protocol';

/** What the bridge trusts a TLS broker by. */
export interface BrokerTls {
  /** PEM of the CA (or the broker's own certificate). */
  ca?: Buffer;
  /** Canonical SHA-256 fingerprint ("AB:CD:…") the broker's certificate must have. */
  fingerprint?: string;
}

/** An MQTT.js client for `url`, connecting at once and reconnecting as `options` say. */
export function brokerClient(url: string, options: IClientOptions, tls: BrokerTls): MqttClient {
  const { fingerprint, ca } = tls;
  if (fingerprint === undefined) return connect(url, { ...options, ...(ca === undefined ? {} : { ca }) });
  const { hostname, port } = new URL(url);
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  const target = { host, port: Number(port || 8883), fingerprint, ...(ca === undefined ? {} : { ca }) };
  return new MqttClient(() => new PinnedTlsStream(target), options);
}

interface PinnedTarget {
  host: string;
  port: number;
  fingerprint: string;
  /** Also require a chain to this CA; without it the fingerprint alone decides. */
  ca?: Buffer;
}

/** A TLS connection that passes no byte either way until the peer's fingerprint matched. */
class PinnedTlsStream extends Duplex {
  private readonly tlsSocket: TLSSocket;
  private verified = false;
  private held: Array<{ chunk: Buffer; callback: (error?: Error | null) => void }> = [];

  constructor(target: PinnedTarget) {
    super();
    const { host, port, fingerprint, ca } = target;
    this.tlsSocket = tlsConnect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), rejectUnauthorized: ca !== undefined, ...(ca === undefined ? {} : { ca }) });
    this.tlsSocket.once('secureConnect', () => {
      const presented = this.tlsSocket.getPeerX509Certificate()?.fingerprint256;
      const actual = presented === undefined ? undefined : normalizeFingerprint(presented);
      if (actual !== fingerprint) {
        this.destroy(new PicolinkError(ErrorCode.TLS_FINGERPRINT_MISMATCH, `the MQTT broker at ${host}:${port} presented a certificate with fingerprint ${actual ?? '(none)'}, not the ${fingerprint} configured in mqtt.tls.fingerprint`));
        return;
      }
      this.verified = true;
      for (const { chunk, callback } of this.held) this.tlsSocket.write(chunk, callback);
      this.held = [];
      this.emit('connect');
      this.emit('secureConnect');
    });
    this.tlsSocket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) this.tlsSocket.pause();
    });
    this.tlsSocket.once('end', () => this.push(null));
    this.tlsSocket.once('error', (err) => this.destroy(err));
    this.tlsSocket.once('close', () => this.destroy());
  }

  override _read(): void {
    this.tlsSocket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.verified) this.tlsSocket.write(chunk, callback);
    else this.held.push({ chunk, callback });
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.tlsSocket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.tlsSocket.destroy();
    callback(error);
  }
}
