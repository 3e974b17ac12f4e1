/**
 * The hub's configuration (`picolink hub --config picolink.json`): every key optional,
 * defaults below, one coded error (PL_ERR_CONFIG) naming the bad key.
 */
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { isPostgresUrl } from './store/postgres-url.js';
import { DEFAULT_MAX_BUFFERED_ROWS } from './telemetry/writer.js';
import { DEFAULT_HUB_GATEWAY_PORT, DEFAULT_HUB_HEARTBEAT_MS, DEFAULT_HUB_HTTP_PORT, DEVICE_ID_PATTERN, ErrorCode, isFingerprint, normalizeFingerprint, PicolinkError } from '@picolink/protocol';

export const DEFAULT_TELEMETRY_PORT = 12401;
/** A host name in `http.allowedHosts` (ASCII, as browsers send it; a leading dot for subdomains too). */
const HOST_NAME_PATTERN = /^\.?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/i;

export interface ConfiguredDevice {
  /** Device id, as the device says in its hello and telemetry. */
  id: string;
  /** Secret the device presents in its hello (dial-home). Absent: no token required. */
  token?: string;
  /** HMAC key for its telemetry (hex of 32+ digits, else UTF-8). Absent: unsigned telemetry accepted. */
  telemetryKey?: string;
  /** A device in server mode: the hub connects out to this URL (tcp://host:port or tls://host:port). */
  address?: string;
  /** TLS fingerprint to pin for `address`. */
  fingerprint?: string;
  /** Settings sent to the device in the welcome (dial-home). */
  config?: Record<string, unknown>;
}

/**
 * Where the hub keeps devices, telemetry, events and audit: one SQLite file, or a
 * PostgreSQL database for larger fleets (docs/scaling.md).
 */
export type StoreConfig = { sqlite: string } | { postgres: string };

export interface HubConfig {
  /** Directory for the SQLite file and the API token. Default "./picolink-data". */
  dataDir: string;
  /**
   * This hub's name among the hubs sharing one PostgreSQL store (1-64 of A-Z a-z 0-9 _ . -),
   * shown in GET /api/health and as each device's `hub`. Default HOSTNAME-PID-RANDOM
   * (4 hex digits), new at each start.
   */
  hubId: string;
  /**
   * `{ "sqlite": "PATH" }` or `{ "postgres": "postgres://USER:PASSWORD@HOST:PORT/DATABASE" }`.
   * Default: the SQLite file picolink.db in `dataDir`.
   */
  store?: StoreConfig;
  http: {
    /** Default "127.0.0.1". */
    host: string;
    /** Default 8080; 0 picks a free port. */
    port: number;
    /** Require a bearer token. Default true; false is refused unless `host` is a loopback address. */
    auth: boolean;
    /**
     * Host names (and addresses) requests may name in their `Host` header, besides those
     * always allowed: loopback names and addresses, the address the API is bound to, and
     * (bound to 0.0.0.0 or ::) this machine's own addresses and host name. A name with a
     * leading dot (".home.example") also allows its subdomains; "*" turns the check off.
     * Default [] (docs/hub.md#host-check).
     */
    allowedHosts: string[];
    /**
     * PEM files (as `picolink certs` writes them): when set, the API, the dashboard and the
     * WebSockets are served over HTTPS (and wss:) only. Default: plain HTTP.
     */
    tls?: { cert: string; key: string };
  };
  gateway: {
    /** Default "0.0.0.0". */
    host: string;
    /** Dial-home port. Default 12400; 0 picks a free port. */
    port: number;
    /** PEM files; when set, devices connect with TLS. */
    tls?: { cert: string; key: string };
    /** Ping interval when nothing was heard; 3 intervals of silence close a link. Default 15000. */
    heartbeatMs: number;
    /** Accept hellos from ids not listed in `devices`. Default false. */
    acceptUnknownDevices: boolean;
  };
  telemetry: {
    /** Default "0.0.0.0". */
    host: string;
    /** UDP port. Default 12401; 0 picks a free port. */
    port: number;
    /** Datagrams per second accepted from one device before the excess is dropped. Default 2000. */
    maxPerDevicePerSecond: number;
    /**
     * Readings kept in memory while the store is unreachable (a PostgreSQL restart),
     * written in order when it returns; past it the oldest are dropped and counted.
     * Default 100000 (about 10 MB).
     */
    maxBufferedRows: number;
  };
  /** Delete telemetry, events and audit records older than this many days. Default 30; 0 keeps everything. */
  retentionDays: number;
  devices: ConfiguredDevice[];
  /** Network tools sessions run by the hub for the dashboard (docs/hub.md#network-tools-sessions). */
  nettools: NettoolsConfig;
  /** The MQTT bridge (docs/mqtt.md). Absent: no bridge. */
  mqtt?: MqttConfig;
}

/** The broker the MQTT bridge connects to, and its topics (docs/mqtt.md#configuration). */
export interface MqttConfig {
  /** "mqtt://HOST:PORT" or "mqtts://HOST:PORT" (TLS); the port defaults to 1883 / 8883. */
  url: string;
  username?: string;
  password?: string;
  tls?: {
    /** PEM file of the CA (or the broker's own certificate) to trust. Default: the system's CAs. */
    ca?: string;
    /** SHA-256 fingerprint of the broker's certificate: trusted by it alone, whoever signed it. */
    fingerprint?: string;
  };
  /** First level of every topic. Default "picolink". */
  prefix: string;
  /** Publish Home Assistant discovery configs. Default false. */
  homeAssistant: boolean;
  /** Home Assistant's discovery prefix. Default "homeassistant". */
  discoveryPrefix: string;
  /** MQTT client id. Default "picolink-HUBID". */
  clientId: string;
  /** `set` commands in flight at once; past it a command is answered PL_ERR_BUSY and counted. Default 32. */
  maxCommandsInFlight: number;
}

/** Limits of the network tools sessions. */
export interface NettoolsConfig {
  /** Sessions open at once (all users). Default 16. */
  maxSessions: number;
  /** Bytes of log kept per session; the oldest entries go first. Default 1 MiB. */
  logBytes: number;
  /** A session without traffic or a request naming it is stopped after this many ms. Default 1,800,000 (30 min); 0 never. */
  idleTimeoutMs: number;
  /** Most sends of one repeat. Default 1000. */
  maxRepeat: number;
  /** Shortest interval between repeated sends, in ms. Default 10. */
  minIntervalMs: number;
  /** Repeats running at once in one session. Default 8. */
  maxRunningRepeats: number;
  /** Sends (POST …/send) a session takes per second, bursts included. Default 50. */
  maxSendsPerSecond: number;
  /** Largest single send (message and ending), in bytes. Default 65536. */
  maxSendBytes: number;
  /** Bytes a session receives per second before the rest is dropped and counted. Default 1 MiB. */
  maxReceiveBytesPerSecond: number;
  /** Saved messages kept in the store. Default 200. */
  maxSavedMessages: number;
  /** Address tcp-server and udp sessions listen on. Default "0.0.0.0" (boards on the network reach them). */
  bindHost: string;
}

export const DEFAULT_NETTOOLS_CONFIG: NettoolsConfig = {
  maxSessions: 16,
  logBytes: 1024 * 1024,
  idleTimeoutMs: 1_800_000,
  maxRepeat: 1000,
  minIntervalMs: 10,
  maxRunningRepeats: 8,
  maxSendsPerSecond: 50,
  maxSendBytes: 65_536,
  maxReceiveBytesPerSecond: 1024 * 1024,
  maxSavedMessages: 200,
  bindHost: '0.0.0.0',
};

/** HOSTNAME-PID-RANDOM4, the host name cut to what a hub id may hold. */
function defaultHubId(): string {
  const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40) || 'hub';
  return `${host}-${process.pid}-${randomBytes(2).toString('hex')}`;
}

export function defaultConfig(): HubConfig {
  return {
    dataDir: './picolink-data',
    hubId: defaultHubId(),
    http: { host: '127.0.0.1', port: DEFAULT_HUB_HTTP_PORT, auth: true, allowedHosts: [] },
    gateway: { host: '0.0.0.0', port: DEFAULT_HUB_GATEWAY_PORT, heartbeatMs: DEFAULT_HUB_HEARTBEAT_MS, acceptUnknownDevices: false },
    telemetry: { host: '0.0.0.0', port: DEFAULT_TELEMETRY_PORT, maxPerDevicePerSecond: 2000, maxBufferedRows: DEFAULT_MAX_BUFFERED_ROWS },
    retentionDays: 30,
    devices: [],
    nettools: { ...DEFAULT_NETTOOLS_CONFIG },
  };
}

function fail(key: string, expected: string): never {
  throw new PicolinkError(ErrorCode.CONFIG, `hub configuration: "${key}" must be ${expected}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function str(obj: Record<string, unknown>, key: string, path: string, fallback: string): string {
  const value = obj[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) fail(`${path}${key}`, 'a non-empty string');
  return value;
}

function optionalStr(obj: Record<string, unknown>, key: string, path: string): string | undefined {
  return obj[key] === undefined ? undefined : str(obj, key, path, '');
}

function int(obj: Record<string, unknown>, key: string, path: string, fallback: number, min: number, max: number): number {
  const value = obj[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(`${path}${key}`, `a whole number from ${min} to ${max}`);
  return value;
}

function bool(obj: Record<string, unknown>, key: string, path: string, fallback: boolean): boolean {
  const value = obj[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(`${path}${key}`, 'true or false');
  return value;
}

/** A top-level section, its keys checked; `{}` when absent. */
function section(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = obj[key];
  if (value === undefined) return {};
  if (!isObject(value)) fail(key, 'an object');
  rejectUnknown(value, `${key}.`);
  return value;
}

const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': ['dataDir', 'hubId', 'store', 'http', 'gateway', 'telemetry', 'retentionDays', 'devices', 'nettools', 'mqtt'],
  'mqtt.': ['url', 'username', 'password', 'tls', 'prefix', 'homeAssistant', 'discoveryPrefix', 'clientId', 'maxCommandsInFlight'],
  'mqtt.tls.': ['ca', 'fingerprint'],
  'nettools.': Object.keys(DEFAULT_NETTOOLS_CONFIG),
  'http.': ['host', 'port', 'auth', 'allowedHosts', 'tls'],
  'http.tls.': ['cert', 'key'],
  'gateway.': ['host', 'port', 'tls', 'heartbeatMs', 'acceptUnknownDevices'],
  'telemetry.': ['host', 'port', 'maxPerDevicePerSecond', 'maxBufferedRows'],
  'devices[].': ['id', 'token', 'telemetryKey', 'address', 'fingerprint', 'config'],
};

function rejectUnknown(obj: Record<string, unknown>, path: string): void {
  const known = KNOWN_KEYS[path.replace(/\[\d+\]/, '[]')] ?? [];
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new PicolinkError(ErrorCode.CONFIG, `hub configuration: unknown key "${path}${key}"; known keys: ${known.join(', ')}`);
  }
}

function parseDevice(value: unknown, index: number): ConfiguredDevice {
  const path = `devices[${index}].`;
  if (!isObject(value)) fail(`devices[${index}]`, 'an object');
  rejectUnknown(value, path);
  const id = str(value, 'id', path, '');
  if (!DEVICE_ID_PATTERN.test(id)) fail(`${path}id`, 'an id of 1-64 letters, digits, "_", "-", "."');
  const device: ConfiguredDevice = { id };
  for (const key of ['token', 'telemetryKey', 'address', 'fingerprint'] as const) {
    const text = optionalStr(value, key, path);
    if (key === 'address' && text !== undefined && !/^(tcp|tls):\/\/.+:\d+$/.test(text)) fail(`${path}address`, 'a URL like tcp://192.168.4.20:12345 or tls://pico.local:12345');
    if (text !== undefined) device[key] = text;
  }
  if (value.config !== undefined) {
    if (!isObject(value.config)) fail(`${path}config`, 'an object');
    device.config = value.config;
  }
  return device;
}

/** `store`: exactly one of "sqlite" (a file path) or "postgres" (a postgres:// URL). */
function storeConfig(value: unknown): StoreConfig | undefined {
  if (value === undefined) return undefined;
  const expected = 'an object with one key: "sqlite" (a file path) or "postgres" (a postgres:// URL)';
  if (!isObject(value) || Object.keys(value).length !== 1) fail('store', expected);
  if (value.sqlite !== undefined) return { sqlite: str(value, 'sqlite', 'store.', '') };
  if (value.postgres !== undefined) {
    const url = str(value, 'postgres', 'store.', '');
    if (!isPostgresUrl(url)) fail('store.postgres', 'a URL like postgres://picolink:PASSWORD@db.example:5432/picolink');
    return { postgres: url };
  }
  return fail('store', expected);
}

/** `http.allowedHosts`: "*" or names as a browser sends them (no port, no scheme). */
function allowedHosts(value: unknown): string[] {
  if (value === undefined) return [];
  const expected = 'a list of host names such as ["pico-hub.local", "192.168.1.20"], or ["*"]';
  if (!Array.isArray(value)) fail('http.allowedHosts', expected);
  return value.map((entry: unknown, index) => {
    const valid = typeof entry === 'string' && (entry === '*' || HOST_NAME_PATTERN.test(entry) || isIP(entry.replace(/^\[(.*)\]$/, '$1')) !== 0);
    if (!valid) fail(`http.allowedHosts[${index}]`, `${expected}, without scheme or port (got ${typeof entry === 'string' ? JSON.stringify(entry) : typeof entry})`);
    return entry.toLowerCase();
  });
}

/** Topic levels of our own: no wildcards, spaces or control characters, no empty levels. */
const TOPIC_PREFIX_PATTERN = /^[^#+/\s\p{Cc}]+(\/[^#+/\s\p{Cc}]+)*$/u;

/** `mqtt`: the bridge's broker; absent, no bridge. */
function mqttConfig(raw: Record<string, unknown>, hubId: string): MqttConfig | undefined {
  if (raw.mqtt === undefined) return undefined;
  const mqtt = section(raw, 'mqtt');
  const url = str(mqtt, 'url', 'mqtt.', '');
  if (!/^mqtts?:\/\/[^/\s]+\/?$/.test(url)) fail('mqtt.url', 'a URL like mqtt://broker.local:1883 or mqtts://broker.local:8883');
  const topic = (key: string, fallback: string): string => {
    const value = str(mqtt, key, 'mqtt.', fallback);
    if (!TOPIC_PREFIX_PATTERN.test(value)) fail(`mqtt.${key}`, 'topic levels without "+", "#" or empty levels, like "picolink" or "site/picolink"');
    return value;
  };
  const config: MqttConfig = {
    url,
    prefix: topic('prefix', 'picolink'),
    homeAssistant: bool(mqtt, 'homeAssistant', 'mqtt.', false),
    discoveryPrefix: topic('discoveryPrefix', 'homeassistant'),
    clientId: str(mqtt, 'clientId', 'mqtt.', `picolink-${hubId}`),
    maxCommandsInFlight: int(mqtt, 'maxCommandsInFlight', 'mqtt.', 32, 1, 10_000),
  };
  const username = optionalStr(mqtt, 'username', 'mqtt.');
  if (username !== undefined) config.username = username;
  const password = optionalStr(mqtt, 'password', 'mqtt.');
  if (password !== undefined) config.password = password;
  if (mqtt.tls !== undefined) {
    if (!isObject(mqtt.tls)) fail('mqtt.tls', 'an object with "ca" (a PEM file name) and/or "fingerprint" (SHA-256)');
    rejectUnknown(mqtt.tls, 'mqtt.tls.');
    const ca = optionalStr(mqtt.tls, 'ca', 'mqtt.tls.');
    const fingerprint = optionalStr(mqtt.tls, 'fingerprint', 'mqtt.tls.');
    if (fingerprint !== undefined && !isFingerprint(fingerprint)) fail('mqtt.tls.fingerprint', 'a SHA-256 fingerprint (64 hex digits, colons optional)');
    config.tls = { ...(ca === undefined ? {} : { ca }), ...(fingerprint === undefined ? {} : { fingerprint: normalizeFingerprint(fingerprint) }) };
  }
  return config;
}

/** Validates a parsed configuration object, filling in defaults. */
export function parseConfig(raw: unknown): HubConfig {
  const defaults = defaultConfig();
  if (raw === undefined) return defaults;
  if (!isObject(raw)) fail('(top level)', 'a JSON object');
  rejectUnknown(raw, '');
  const http = section(raw, 'http');
  const gateway = section(raw, 'gateway');
  const telemetry = section(raw, 'telemetry');
  const nettools = section(raw, 'nettools');
  const net = (key: Exclude<keyof NettoolsConfig, 'bindHost'>, min: number, max: number): number => int(nettools, key, 'nettools.', defaults.nettools[key], min, max);
  const config: HubConfig = {
    dataDir: str(raw, 'dataDir', '', defaults.dataDir),
    hubId: str(raw, 'hubId', '', defaults.hubId),
    http: {
      host: str(http, 'host', 'http.', defaults.http.host),
      port: int(http, 'port', 'http.', defaults.http.port, 0, 65535),
      auth: bool(http, 'auth', 'http.', defaults.http.auth),
      allowedHosts: allowedHosts(http.allowedHosts),
    },
    gateway: {
      host: str(gateway, 'host', 'gateway.', defaults.gateway.host),
      port: int(gateway, 'port', 'gateway.', defaults.gateway.port, 0, 65535),
      heartbeatMs: int(gateway, 'heartbeatMs', 'gateway.', defaults.gateway.heartbeatMs, 100, 3_600_000),
      acceptUnknownDevices: bool(gateway, 'acceptUnknownDevices', 'gateway.', defaults.gateway.acceptUnknownDevices),
    },
    telemetry: {
      host: str(telemetry, 'host', 'telemetry.', defaults.telemetry.host),
      port: int(telemetry, 'port', 'telemetry.', defaults.telemetry.port, 0, 65535),
      maxPerDevicePerSecond: int(telemetry, 'maxPerDevicePerSecond', 'telemetry.', defaults.telemetry.maxPerDevicePerSecond, 1, 10_000_000),
      maxBufferedRows: int(telemetry, 'maxBufferedRows', 'telemetry.', defaults.telemetry.maxBufferedRows, 1, 100_000_000),
    },
    retentionDays: int(raw, 'retentionDays', '', defaults.retentionDays, 0, 36_500),
    devices: [],
    nettools: {
      maxSessions: net('maxSessions', 0, 1000),
      logBytes: net('logBytes', 4096, 256 * 1024 * 1024),
      idleTimeoutMs: net('idleTimeoutMs', 0, 7 * 24 * 3_600_000),
      maxRepeat: net('maxRepeat', 1, 1_000_000),
      minIntervalMs: net('minIntervalMs', 1, 3_600_000),
      maxRunningRepeats: net('maxRunningRepeats', 1, 1000),
      maxSendsPerSecond: net('maxSendsPerSecond', 1, 100_000),
      maxSendBytes: net('maxSendBytes', 1, 16 * 1024 * 1024),
      maxReceiveBytesPerSecond: net('maxReceiveBytesPerSecond', 1024, 1024 * 1024 * 1024),
      maxSavedMessages: net('maxSavedMessages', 0, 100_000),
      bindHost: str(nettools, 'bindHost', 'nettools.', defaults.nettools.bindHost),
    },
  };
  if (!DEVICE_ID_PATTERN.test(config.hubId)) fail('hubId', '1-64 of A-Z a-z 0-9 _ . -');
  const mqtt = mqttConfig(raw, config.hubId);
  if (mqtt) config.mqtt = mqtt;
  const store = storeConfig(raw.store);
  if (store) config.store = store;
  if (http.tls !== undefined) {
    if (!isObject(http.tls) || http.tls.cert === undefined || http.tls.key === undefined) fail('http.tls', 'an object with "cert" and "key" file names (PEM)');
    rejectUnknown(http.tls, 'http.tls.');
    config.http.tls = { cert: str(http.tls, 'cert', 'http.tls.', ''), key: str(http.tls, 'key', 'http.tls.', '') };
  }
  if (gateway.tls !== undefined) {
    if (!isObject(gateway.tls)) fail('gateway.tls', 'an object with "cert" and "key" file names');
    config.gateway.tls = { cert: str(gateway.tls, 'cert', 'gateway.tls.', ''), key: str(gateway.tls, 'key', 'gateway.tls.', '') };
  }
  if (raw.devices !== undefined) {
    if (!Array.isArray(raw.devices)) fail('devices', 'a list of devices');
    config.devices = raw.devices.map(parseDevice);
    const seen = new Set<string>();
    for (const device of config.devices) {
      if (seen.has(device.id)) throw new PicolinkError(ErrorCode.CONFIG, `hub configuration: device id "${device.id}" is listed twice`);
      seen.add(device.id);
    }
  }
  return config;
}

/** Reads and validates a configuration file. */
export async function loadConfig(path: string): Promise<HubConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PicolinkError(ErrorCode.CONFIG, `cannot read hub configuration ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PicolinkError(ErrorCode.CONFIG, `hub configuration ${path} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseConfig(raw);
}

/** True for 127.0.0.0/8, ::1 and "localhost": auth may be turned off only there. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
