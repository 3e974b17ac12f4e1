/**
 * Device addresses. A device is named by a URL whose scheme picks the transport
 * (`tcp://host:port`, `tls://host:port`, or `hub://host:port/devices/ID` for a device
 * reached through a picolink hub), or by a plain `host[:port]` with a `tls` flag.
 * IPv6 literals go in brackets (`tcp://[::1]:12345`); a bare IPv6 literal without a port
 * is accepted in the plain form.
 */
import { isIPv6 } from 'node:net';
import { hostPort } from '@picolink/net';
import { DEFAULT_DEVICE_PORT, DEFAULT_HUB_HTTP_PORT, DEVICE_ID_PATTERN, ErrorCode, PicolinkError } from '@picolink/protocol';

/** Schemes this package can connect to; each one has a transport adapter. */
export const SUPPORTED_SCHEMES = ['tcp', 'tls', 'hub'] as const;
export type DeviceScheme = (typeof SUPPORTED_SCHEMES)[number];

/** A parsed device address. */
export interface DeviceUrl {
  scheme: DeviceScheme;
  /** Host name or IP address, IPv6 without brackets. */
  host: string;
  port: number;
  /** `host:port`, IPv6 in brackets: the key used in the known-devices file and in messages. */
  hostPort: string;
  /** Canonical URL, e.g. `tls://[::1]:12345` or `hub://localhost:8080/devices/pico-1`. */
  href: string;
  /** `hub://` only: the id of the device behind the hub. */
  deviceId?: string;
}

export interface ParseDeviceUrlOptions {
  /** For a plain `host[:port]`: use TLS. Default false. A `tcp://` URL with this set is an error. */
  tls?: boolean;
  /** Port used when the address names none. Default 12345 (the piconetcontrol port). */
  defaultPort?: number;
}

const SCHEME_PREFIX = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s;
const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const PORT_TEXT = /^\d{1,5}$/;
const EXAMPLES = 'use tcp://HOST:PORT or tls://HOST:PORT, e.g. tcp://192.168.1.50:12345';
const HUB_PATH = /^\/devices\/([^/?#]*)\/?$/;
const HUB_EXAMPLE = 'hub://HOST:PORT/devices/ID, e.g. hub://localhost:8080/devices/pico-1';

/** Parses a device address; throws `PL_ERR_BAD_URL` with a message saying what is wrong. */
export function parseDeviceUrl(input: string, options: ParseDeviceUrlOptions = {}): DeviceUrl {
  const text = input.trim();
  if (text === '') throw badUrl(input, 'the address is empty');
  const defaultPort = options.defaultPort ?? DEFAULT_DEVICE_PORT;
  const match = SCHEME_PREFIX.exec(text);
  let scheme: DeviceScheme;
  let authority: string;
  if (match) {
    const named = (match[1] ?? '').toLowerCase();
    if (!isSupportedScheme(named)) {
      throw badUrl(input, `unsupported scheme "${named}://"; supported schemes are ${SUPPORTED_SCHEMES.map((s) => `${s}://`).join(', ')}`);
    }
    if (named === 'tcp' && options.tls === true) {
      throw badUrl(input, 'the URL asks for plain TCP but TLS was requested; write tls://HOST:PORT instead');
    }
    if (named === 'hub') return parseHubUrl(input, match[2] ?? '', options);
    scheme = named;
    authority = (match[2] ?? '').replace(/\/$/, '');
    if (/[/?#@]/.test(authority)) {
      throw badUrl(input, 'a device URL has only a host and a port (no path, query or user name)');
    }
  } else {
    if (text.includes('://') || text.includes('/')) throw badUrl(input, `cannot read the scheme; ${EXAMPLES}`);
    scheme = options.tls === true ? 'tls' : 'tcp';
    authority = text;
  }
  const { host, port } = splitHostPort(input, authority, defaultPort, match === null);
  const where = hostPort(host, port);
  return { scheme, host, port, hostPort: where, href: `${scheme}://${where}` };
}

/** `hub://HOST[:PORT]/devices/ID`: the hub's HTTP address and the device's id. */
function parseHubUrl(input: string, rest: string, options: ParseDeviceUrlOptions): DeviceUrl {
  if (options.tls === true) throw badUrl(input, 'TLS is not available for hub:// URLs; the hub link runs over the hub\'s HTTP port');
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  if (/[?#@]/.test(authority)) throw badUrl(input, `a hub URL has a host, a port and the device's path; ${HUB_EXAMPLE}`);
  const idMatch = HUB_PATH.exec(path);
  if (!idMatch) throw badUrl(input, `name the device behind the hub: ${HUB_EXAMPLE}`);
  const deviceId = decodeURIComponentSafe(idMatch[1] ?? '');
  if (!DEVICE_ID_PATTERN.test(deviceId)) throw badUrl(input, `"${deviceId}" is not a device id (1-64 letters, digits, "_", "-", ".")`);
  const { host, port } = splitHostPort(input, authority, DEFAULT_HUB_HTTP_PORT, false);
  const where = hostPort(host, port);
  return { scheme: 'hub', host, port, hostPort: where, href: `hub://${where}/devices/${deviceId}`, deviceId };
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function isSupportedScheme(name: string): name is DeviceScheme {
  return (SUPPORTED_SCHEMES as readonly string[]).includes(name);
}

function splitHostPort(input: string, authority: string, defaultPort: number, plain: boolean): { host: string; port: number } {
  if (authority === '') throw badUrl(input, `the host is missing; ${EXAMPLES}`);
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close === -1) throw badUrl(input, 'an IPv6 address opened with "[" needs a closing "]"');
    const host = authority.slice(1, close);
    if (!isIPv6(host)) throw badUrl(input, `"${host}" is not an IPv6 address`);
    const rest = authority.slice(close + 1);
    if (rest === '') return { host, port: defaultPort };
    if (!rest.startsWith(':')) throw badUrl(input, 'expected ":PORT" after the IPv6 address');
    return { host, port: parsePort(input, rest.slice(1)) };
  }
  const colons = authority.split(':').length - 1;
  if (colons > 1) {
    if (plain && isIPv6(authority)) return { host: authority, port: defaultPort };
    throw badUrl(input, 'put an IPv6 address in brackets, e.g. tcp://[fe80::1]:12345');
  }
  const [host = '', portText] = authority.split(':');
  if (!HOST_NAME.test(host)) throw badUrl(input, `"${host}" is not a host name or IP address`);
  return { host, port: portText === undefined ? defaultPort : parsePort(input, portText) };
}

function parsePort(input: string, text: string): number {
  const port = PORT_TEXT.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw badUrl(input, `the port must be a number from 1 to 65535, got "${text}"`);
  return port;
}

function badUrl(input: string, reason: string): PicolinkError {
  return new PicolinkError(ErrorCode.BAD_URL, `bad device address "${input}": ${reason}`);
}
