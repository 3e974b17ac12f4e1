/**
 * The bridge's MQTT.js client, and how it trusts a TLS broker: the system's CAs, a CA
 * file (`mqtt.tls.ca`), or the broker certificate's SHA-256 fingerprint
 * (`mqtt.tls.fingerprint`, docs/mqtt.md#tls).
 */
import { connect } from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';

/** What the bridge trusts a TLS broker by. */
export interface BrokerTls {
  /** PEM of the CA (or the broker's own certificate). */
  ca?: Buffer;
  /** Canonical SHA-256 fingerprint ("AB:CD:…") the broker's certificate must have. */
  fingerprint?: string;
}

/** An MQTT.js client for `url`, connecting at once and reconnecting as `options` say. */
export function brokerClient(url: string, options: IClientOptions, tls: BrokerTls): MqttClient {
  return connect(url, { ...options, ...(tls.ca === undefined ? {} : { ca: tls.ca }) });
}

