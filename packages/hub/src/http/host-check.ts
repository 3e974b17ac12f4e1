/**
 * The Host check (docs/hub.md#host-check). A web page on another site cannot read from
 * the hub, because its origin differs — unless that site's DNS name is pointed at the
 * hub's address after the page loaded (DNS rebinding): the browser then sends the page's
 * requests, WebSockets included, to the hub as same-origin, with the attacker's name in
 * the Host header. So every request must name the hub by a name the hub answers to:
 *
 * - loopback: `localhost`, 127.0.0.0/8, ::1 (IPv4-mapped forms too);
 * - the address (or name) the API is bound to, unless it is a wildcard;
 * - bound to a wildcard (0.0.0.0, ::): this machine's own interface addresses, read again
 *   (at most once a second) when a request names an address not among them, since DHCP
 *   moves them, and
 *   its host name (`os.hostname()`, and the same with `.local` for mDNS) — a page of
 *   another site can use none of these, as its origin is its own name;
 * - the names and addresses of `http.allowedHosts` (a leading dot allows subdomains; `*`
 *   turns the check off).
 *
 * Ports are not compared: rebinding is about names. A request without a Host header
 * (HTTP/1.0 from a program) passes: browsers always send one.
 */
import { BlockList, isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { ErrorCode, PicolinkError } from '@picolink/protocol';

/** Longest Host value echoed in an error message, in characters. */
const MAX_ECHO_CHARS = 100;
/** Hosts remembered as allowed, so the common case is one Set lookup (the rest are checked each time). */
const MAX_REMEMBERED_HOSTS = 256;
/** Least time between two reads of the interface addresses, in ms (a read costs ~0.25 ms). */
const INTERFACES_REFRESH_MS = 1000;

/** host[:port], the host a name or an IP literal (IPv6 in brackets). */
const HOST_HEADER = /^(\[[0-9a-fA-F:.]+\]|[^\s[\]/?#@:\\]+)(?::\d{0,5})?$/;

const WILDCARDS: ReadonlySet<string> = new Set(['0.0.0.0', '::', '']);

export interface HostCheckOptions {
  /** `http.allowedHosts`: extra names and addresses; "*" allows every host. */
  allowed: readonly string[];
  /** This machine's interfaces (tests replace it). Default `os.networkInterfaces`. */
  interfaces?: typeof networkInterfaces;
  /** This machine's host name. Default `os.hostname`. */
  hostName?: () => string;
  /** Clock for the interface refresh, Unix ms. Default `Date.now`. */
  now?: () => number;
}

/** A name or address as compared: lower case, no brackets, no trailing dot. */
function normalise(host: string): string {
  return host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

function family(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

function echo(text: string): string {
  return JSON.stringify(text.length > MAX_ECHO_CHARS ? `${text.slice(0, MAX_ECHO_CHARS)}…` : text);
}

/** Decides whether a request's Host header names this hub. */
export class HostCheck {
  private readonly anyHost: boolean;
  /** Exact names. */
  private readonly names = new Set<string>(['localhost']);
  /** Names whose subdomains are allowed too (".example.com" → "example.com"). */
  private readonly domains: string[] = [];
  private readonly addresses = new BlockList();
  private wildcard = false;
  private readonly remembered = new Set<string>();
  private readonly interfaces: typeof networkInterfaces;
  private readonly hostName: () => string;
  private readonly now: () => number;
  private own: { addresses: BlockList; readAt: number } | undefined;

  constructor(options: HostCheckOptions) {
    this.anyHost = options.allowed.includes('*');
    this.interfaces = options.interfaces ?? networkInterfaces;
    this.hostName = options.hostName ?? hostname;
    this.now = options.now ?? Date.now;
    this.addresses.addSubnet('127.0.0.0', 8, 'ipv4');
    this.addresses.addAddress('::1', 'ipv6');
    for (const entry of options.allowed) {
      if (entry === '*') continue;
      if (entry.startsWith('.')) this.domains.push(normalise(entry.slice(1)));
      else this.allow(entry);
    }
  }

  /** Allows the address or name the API is bound to; a wildcard allows this machine's own. */
  allowBound(host: string): void {
    if (WILDCARDS.has(normalise(host))) this.wildcard = true;
    else this.allow(host);
  }

  /** Throws PL_ERR_HOST_NOT_ALLOWED unless `header` (the Host header) names this hub. */
  check(header: string | undefined): void {
    if (this.anyHost || header === undefined) return;
    const match = HOST_HEADER.exec(header);
    if (!match) throw new PicolinkError(ErrorCode.HOST_NOT_ALLOWED, `the Host header ${echo(header)} is not a host name or address; send the hub's own address`);
    const host = normalise(match[1] as string);
    if (this.remembered.has(host)) return;
    if (this.allows(host)) {
      if (this.remembered.size < MAX_REMEMBERED_HOSTS) this.remembered.add(host);
      return;
    }
    throw new PicolinkError(
      ErrorCode.HOST_NOT_ALLOWED,
      `the hub does not answer to the host name ${echo(host)} (a page of another site may be trying to reach it by DNS rebinding); ` +
        `if that name is yours, add ${echo(host)} to http.allowedHosts in the hub configuration (docs/hub.md#host-check)`,
    );
  }

  private allow(entry: string): void {
    const host = normalise(entry);
    if (isIP(host) !== 0) this.addresses.addAddress(host, family(host));
    else this.names.add(host);
  }

  private allows(host: string): boolean {
    if (isIP(host) !== 0) return this.addresses.check(host, family(host)) || (this.wildcard && this.isOwnAddress(host));
    if (this.names.has(host) || this.domains.some((domain) => host === domain || host.endsWith(`.${domain}`))) return true;
    if (!this.wildcard) return false;
    const own = normalise(this.hostName());
    return host === own || host === `${own}.local`;
  }

  private isOwnAddress(host: string): boolean {
    const now = this.now();
    if (this.own === undefined || (!this.own.addresses.check(host, family(host)) && now - this.own.readAt >= INTERFACES_REFRESH_MS)) {
      const addresses = new BlockList();
      for (const list of Object.values(this.interfaces())) {
        // Link-local IPv6 addresses carry a zone ("fe80::1%eth0") that BlockList does not take.
        for (const info of list ?? []) addresses.addAddress(info.address.split('%')[0] as string, info.family === 'IPv6' ? 'ipv6' : 'ipv4');
      }
      this.own = { addresses, readAt: now };
    }
    return this.own.addresses.check(host, family(host));
  }
}
