/**
 * The agent's `config.json`, built in one place for `picolink agent bundle` and for the
 * hub's `POST /api/devices` (which offers it for download), so both write the same keys
 * (README "config.json").
 */

/** Default interval of the agent's telemetry, in ms, and what it reports. */
export const AGENT_TELEMETRY_INTERVAL_MS = 5000;
export const AGENT_TELEMETRY_SENSORS: readonly string[] = ['temp_c'];

export interface AgentConfigOptions {
  /** WiFi network name ("" leaves it for the person to fill in). */
  ssid: string;
  /** WiFi password. */
  password: string;
  /** The device's id (1-64 of A-Z a-z 0-9 _ - .). */
  deviceId: string;
  /** TCP port the agent listens on. */
  port: number;
  /** Serve TLS with `tlsCert` / `tlsKey` (DER file names on the board). Default none. */
  tls?: { cert: string; key: string };
  /** The device's secret for the hub (its hello token). */
  token: string;
  /** Send telemetry to `target` ("HOST:PORT"), signed with `key` (hex). Default none. */
  telemetry?: { target: string; key: string };
  /**
   * Dial home to this hub ("HOST[:PORT]"), or to the first of a list that answers (tried in
   * order); `fingerprint`: connect with TLS, pinning it (the same for every hub). Default none.
   */
  hub?: { address: string | readonly string[]; fingerprint?: string };
}

/** The agent's configuration object (written as config.json). */
export type AgentConfig = Record<string, unknown>;

export function agentConfig(options: AgentConfigOptions): AgentConfig {
  const { telemetry, hub } = options;
  return {
    ssid: options.ssid,
    pwd: options.password,
    device_id: options.deviceId,
    port: options.port,
    tls_cert: options.tls?.cert ?? '',
    tls_key: options.tls?.key ?? '',
    token: options.token,
    telemetry:
      telemetry === undefined
        ? null
        : { target: telemetry.target, interval_ms: AGENT_TELEMETRY_INTERVAL_MS, sensors: [...AGENT_TELEMETRY_SENSORS], key: telemetry.key, ack: false },
    ...(hub === undefined ? {} : { hub: typeof hub.address === 'string' ? hub.address : [...hub.address], hub_tls: hub.fingerprint !== undefined, hub_fingerprint: hub.fingerprint ?? '' }),
  };
}
