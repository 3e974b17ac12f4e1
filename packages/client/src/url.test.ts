import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { parseDeviceUrl } from './url.js';
import type { ParseDeviceUrlOptions } from './url.js';

const valid: Array<[string, ParseDeviceUrlOptions, string, string, number]> = [
  // input, options, href, host, port
  ['tcp://10.0.0.5:12345', {}, 'tcp://10.0.0.5:12345', '10.0.0.5', 12345],
  ['tcp://10.0.0.5', {}, 'tcp://10.0.0.5:12345', '10.0.0.5', 12345],
  ['TLS://pico.local:443/', {}, 'tls://pico.local:443', 'pico.local', 443],
  ['tls://[::1]:9000', {}, 'tls://[::1]:9000', '::1', 9000],
  ['tcp://[fe80::1]', {}, 'tcp://[fe80::1]:12345', 'fe80::1', 12345],
  ['10.0.0.5', {}, 'tcp://10.0.0.5:12345', '10.0.0.5', 12345],
  ['10.0.0.5:80', { tls: true }, 'tls://10.0.0.5:80', '10.0.0.5', 80],
  ['  pico-kitchen  ', {}, 'tcp://pico-kitchen:12345', 'pico-kitchen', 12345],
  ['::1', {}, 'tcp://[::1]:12345', '::1', 12345],
  ['[::1]:7', { tls: true }, 'tls://[::1]:7', '::1', 7],
  ['pico', { defaultPort: 4000 }, 'tcp://pico:4000', 'pico', 4000],
  ['tls://pico', { tls: true }, 'tls://pico:12345', 'pico', 12345],
];

for (const [input, options, href, host, port] of valid) {
  test(`parses ${JSON.stringify(input)} ${JSON.stringify(options)}`, () => {
    const url = parseDeviceUrl(input, options);
    assert.equal(url.href, href);
    assert.equal(url.host, host);
    assert.equal(url.port, port);
    assert.equal(url.href, `${url.scheme}://${url.hostPort}`);
  });
}

const invalid: Array<[string, ParseDeviceUrlOptions, RegExp]> = [
  ['', {}, /empty/],
  ['http://pico:80', {}, /unsupported scheme "http:\/\/"; supported schemes are tcp:\/\/, tls:\/\/, hub:\/\//],
  ['hub://home/pico', {}, /name the device behind the hub/],
  ['hub://home:8080', {}, /name the device behind the hub/],
  ['hub://home:8080/devices/', {}, /is not a device id/],
  ['hub://home:8080/devices/a b', {}, /is not a device id/],
  ['hub://home:8080/devices/pico-1/pins', {}, /name the device behind the hub/],
  ['hub://home:8080/devices/pico-1?x=1', {}, /name the device behind the hub/],
  ['hub://user@home/devices/pico-1', {}, /a hub URL has a host/],
  ['hub://home:0/devices/pico-1', {}, /from 1 to 65535/],
  ['hub://home/devices/pico-1', { tls: true }, /TLS is not available for hub/],
  ['tcp://', {}, /host is missing/],
  ['tcp://pico:0', {}, /port must be a number from 1 to 65535, got "0"/],
  ['tcp://pico:70000', {}, /from 1 to 65535/],
  ['tcp://pico:abc', {}, /got "abc"/],
  ['tcp://pico:', {}, /got ""/],
  ['tcp://pico/path', {}, /no path/],
  ['tcp://user@pico', {}, /no path, query or user name/],
  ['tcp://fe80::1', {}, /IPv6 address in brackets/],
  ['tcp://[fe80::1', {}, /closing "\]"/],
  ['tcp://[pico]:1', {}, /not an IPv6 address/],
  ['tcp://[::1]x', {}, /expected ":PORT"/],
  ['pi co', {}, /not a host name/],
  ['pico/x', {}, /cannot read the scheme/],
  ['tcp://pico', { tls: true }, /write tls:\/\/HOST:PORT/],
];

const hubUrls: Array<[string, string, string, number, string]> = [
  // input, href, host, port, deviceId
  ['hub://localhost:8080/devices/pico-1', 'hub://localhost:8080/devices/pico-1', 'localhost', 8080, 'pico-1'],
  ['HUB://hub.local/devices/kitchen.relay/', 'hub://hub.local:8080/devices/kitchen.relay', 'hub.local', 8080, 'kitchen.relay'],
  ['hub://[::1]:9000/devices/a_b', 'hub://[::1]:9000/devices/a_b', '::1', 9000, 'a_b'],
];

for (const [input, href, host, port, deviceId] of hubUrls) {
  test(`parses the hub URL ${JSON.stringify(input)}`, () => {
    const url = parseDeviceUrl(input);
    assert.equal(url.scheme, 'hub');
    assert.equal(url.href, href);
    assert.equal(url.host, host);
    assert.equal(url.port, port);
    assert.equal(url.deviceId, deviceId);
  });
}

for (const [input, options, message] of invalid) {
  test(`rejects ${JSON.stringify(input)} with PL_ERR_BAD_URL`, () => {
    assert.throws(
      () => parseDeviceUrl(input, options),
      (err: unknown) => err instanceof PicolinkError && err.code === ErrorCode.BAD_URL && message.test(err.message) && err.message.includes(`"${input}"`),
    );
  });
}
