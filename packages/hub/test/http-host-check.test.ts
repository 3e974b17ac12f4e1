/**
 * The Host check against DNS rebinding (docs/hub.md#host-check): a page whose own name was
 * pointed at the hub's address sends `Host: its-name`; the hub refuses that with 403
 * PL_ERR_HOST_NOT_ALLOWED, with and without auth, on HTTP and WebSocket alike, and
 * answers to loopback names, its bound address, its own addresses when bound to a
 * wildcard, and `http.allowedHosts`.
 */
import { describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { networkInterfaces } from 'node:os';
import { connect } from '@picolink/client';
import { ErrorCode } from '@picolink/protocol';
import { parseConfig } from '../src/config.js';
import { HostCheck } from '../src/http/host-check.js';
import { startTestHub } from './api-fixture.js';
import type { TestHub } from './api-fixture.js';
import { rawExchange, rawRequest, upgradeHeaders } from './http-raw.js';
import type { RawAnswer } from './http-raw.js';
import { serverDeviceOnline, startServerDevice } from './sim-devices.js';

function assertRefused(answer: RawAnswer, what: string, name: string): void {
  assert.equal(answer.status, 403, `${what}: ${answer.text.slice(0, 300)}`);
  assert.equal(answer.body?.code, ErrorCode.HOST_NOT_ALLOWED, what);
  assert.ok(String(answer.body?.error).includes(`add "${name}" to http.allowedHosts`), `${what}: the message says how to allow it: ${String(answer.body?.error)}`);
}

/** What a rebinding page sends: its own name as Host and Origin. */
function rebound(port: number, name = 'rebind.example'): Record<string, string> {
  return { host: `${name}:${port}`, origin: `http://${name}:${port}` };
}

async function withHub(raw: Record<string, unknown>, body: (t: TestHub) => Promise<void>): Promise<void> {
  const t = await startTestHub(raw);
  try {
    await body(t);
  } finally {
    await t.close();
  }
}

describe('Host check', () => {
  for (const auth of [true, false]) {
    test(`auth ${auth ? 'on' : 'off'}: HTTP requests and WebSocket upgrades naming another host get 403 PL_ERR_HOST_NOT_ALLOWED`, async () => {
      await withHub({ http: { auth }, devices: [{ id: 'pico-1' }] }, async (t) => {
        const port = t.hub.httpPort;
        const token: Record<string, string> = t.hub.token === null ? {} : { authorization: `Bearer ${t.hub.token}` };
        for (const path of ['/api/health', '/api/devices', '/api/devices/pico-1/events', '/api/nowhere']) {
          assertRefused(await rawRequest(port, path, { ...token, ...rebound(port) }), `GET ${path}`, 'rebind.example');
        }
        const post = await rawRequest(port, '/api/devices/pico-1/commands', { ...token, ...rebound(port), 'content-type': 'application/json' }, 'POST', '{"action":"ping"}');
        assertRefused(post, 'POST commands', 'rebind.example');
        for (const path of ['/api/stream', '/api/devices/pico-1/link']) {
          assertRefused(await rawRequest(port, path, { ...token, ...upgradeHeaders(), ...rebound(port) }), `upgrade ${path}`, 'rebind.example');
        }
        // The same requests under the hub's own names are served.
        for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST.:${port}`, `[::1]:${port}`, '127.3.2.1', `[::ffff:127.0.0.1]:${port}`]) {
          const answer = await rawRequest(port, '/api/devices', { ...token, host });
          assert.equal(answer.status, 200, `Host ${host}: ${answer.text.slice(0, 200)}`);
        }
        const stream = await rawRequest(port, '/api/stream', { ...token, ...upgradeHeaders(), host: `localhost:${port}`, origin: `http://localhost:${port}` });
        assert.match(stream.text, /^HTTP\/1\.1 101/, 'a page of the hub itself opens the stream');
      });
    });
  }

  test('Host headers that are not a host are refused; a request without one (HTTP/1.0 programs) passes', async () => {
    await withHub({}, async (t) => {
      const port = t.hub.httpPort;
      for (const host of ['evil.example@127.0.0.1', '127.0.0.1/evil', 'a b', '[::1', '127.0.0.1:80:80']) {
        const answer = await rawRequest(port, '/api/health', { host });
        assert.equal(answer.status, 403, `Host ${host}: ${answer.text.slice(0, 200)}`);
        assert.equal(answer.body?.code, ErrorCode.HOST_NOT_ALLOWED);
      }
      const old = await rawExchange(port, 'GET /api/health HTTP/1.0\r\n\r\n');
      assert.equal(old.status, 200, old.text);
    });
  });

  test('http.allowedHosts adds names, ".domain" its subdomains, "*" turns the check off', async () => {
    await withHub({ http: { allowedHosts: ['pico-hub.example', '.home.example', '192.168.1.20'] } }, async (t) => {
      const port = t.hub.httpPort;
      const token = { authorization: `Bearer ${t.hub.token}` };
      for (const host of ['pico-hub.example', `PICO-HUB.EXAMPLE:${port}`, 'home.example', `hub.home.example:${port}`, 'a.b.home.example', '192.168.1.20:8080']) {
        assert.equal((await rawRequest(port, '/api/devices', { ...token, host })).status, 200, host);
      }
      for (const host of ['rebind.example', 'pico-hub.example.evil', 'evilhome.example', '192.168.1.21']) {
        assertRefused(await rawRequest(port, '/api/devices', { ...token, host }), host, host);
      }
      const upgrade = await rawRequest(port, '/api/stream', { ...token, ...upgradeHeaders(), host: `hub.home.example:${port}`, origin: `http://hub.home.example:${port}` });
      assert.match(upgrade.text, /^HTTP\/1\.1 101/);
    });
    await withHub({ http: { allowedHosts: ['*'] } }, async (t) => {
      const answer = await rawRequest(t.hub.httpPort, '/api/devices', { authorization: `Bearer ${t.hub.token}`, ...rebound(t.hub.httpPort) });
      assert.equal(answer.status, 200, answer.text.slice(0, 200));
    });
  });

  test('the SDK (hub://127.0.0.1 and hub://localhost) still reaches devices through the hub', async () => {
    const pico = await startServerDevice('pico-1');
    try {
      await withHub({ devices: [{ id: 'pico-1', address: pico.device.url }] }, async (t) => {
        await serverDeviceOnline(t.hub, 'pico-1');
        for (const host of ['127.0.0.1', 'localhost']) {
          const device = await connect(`hub://${host}:${t.hub.httpPort}/devices/pico-1`, { token: t.hub.token ?? '' });
          try {
            assert.equal((await device.ping()) >= 0, true);
          } finally {
            await device.close();
          }
        }
      });
    } finally {
      await pico.stop();
    }
  });

  test('configuration: http.allowedHosts must be a list of names or addresses without ports', () => {
    assert.deepEqual(parseConfig({}).http.allowedHosts, []);
    assert.deepEqual(parseConfig({ http: { allowedHosts: ['Hub.Example', '.lan', '*', '[fe80::1]', '10.0.0.2'] } }).http.allowedHosts, ['hub.example', '.lan', '*', '[fe80::1]', '10.0.0.2']);
    for (const bad of ['hub.example', ['hub.example:8080'], ['http://hub.example'], [''], [5], ['a b'], ['1.2.3.4:80']]) {
      assert.throws(
        () => parseConfig({ http: { allowedHosts: bad } }),
        (err: Error & { code?: string }) => err.code === ErrorCode.CONFIG && /http\.allowedHosts/.test(err.message),
        JSON.stringify(bad),
      );
    }
  });
});

describe('HostCheck', () => {
  const interfaces = (addresses: string[]): typeof networkInterfaces =>
    (() => ({
      lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
      eth0: addresses.map((address) => ({ address, netmask: '255.255.255.0', family: address.includes(':') ? 'IPv6' : 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: null })),
    })) as unknown as typeof networkInterfaces;
  const allowed = (check: HostCheck, host: string): boolean => {
    try {
      check.check(host);
      return true;
    } catch (err) {
      assert.equal((err as { code?: string }).code, ErrorCode.HOST_NOT_ALLOWED);
      return false;
    }
  };

  test('bound to 0.0.0.0 (auth on), the machine\'s own addresses and host name are allowed, read again (at most once a second) as they change', () => {
    let addresses = ['192.168.1.20', 'fe80::1%eth0'];
    let now = 0;
    let reads = 0;
    const check = new HostCheck({ allowed: [], interfaces: () => (reads++, interfaces(addresses)()), hostName: () => 'garage-pi', now: () => now });
    check.allowBound('0.0.0.0');
    for (const host of ['192.168.1.20:8080', '[fe80::1]:8080', 'garage-pi', 'garage-pi.local:8080', 'localhost', '127.0.0.1']) assert.ok(allowed(check, host), host);
    for (const host of ['192.168.1.21', 'rebind.example', 'garage-pi.evil.example']) assert.ok(!allowed(check, host), host);
    addresses = ['192.168.1.77'];
    const readsBefore = reads;
    for (let i = 0; i < 100; i++) allowed(check, `10.9.8.${i}`);
    assert.ok(reads - readsBefore <= 1, `unknown addresses within a second read the interfaces at most once (${reads - readsBefore})`);
    now += 1000;
    assert.ok(allowed(check, '192.168.1.77:8080'), 'a new DHCP address, a second later');
  });

  test('bound to one address, that address is allowed and other interfaces are not', () => {
    const check = new HostCheck({ allowed: [], interfaces: interfaces(['192.168.1.20', '10.0.0.5']), hostName: () => 'garage-pi' });
    check.allowBound('192.168.1.20');
    assert.ok(allowed(check, '192.168.1.20:8080'));
    assert.ok(!allowed(check, '10.0.0.5:8080'));
    assert.ok(!allowed(check, 'garage-pi'));
    const named = new HostCheck({ allowed: [] });
    named.allowBound('hub.lan');
    assert.ok(allowed(named, 'hub.lan:8080'), 'a configured host name is the hub\'s own');
  });
});
