/** The `nettools` section of the hub configuration: defaults, bounds, unknown keys. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ErrorCode } from '@picolink/protocol';
import { DEFAULT_NETTOOLS_CONFIG, parseConfig } from '../src/config.js';

describe('nettools configuration', () => {
  it('defaults to the documented limits and takes overrides', () => {
    assert.deepEqual(parseConfig({}).nettools, DEFAULT_NETTOOLS_CONFIG);
    assert.equal(DEFAULT_NETTOOLS_CONFIG.maxSessions, 16);
    assert.equal(DEFAULT_NETTOOLS_CONFIG.logBytes, 1024 * 1024);
    assert.equal(DEFAULT_NETTOOLS_CONFIG.idleTimeoutMs, 1_800_000);
    const config = parseConfig({ nettools: { maxSessions: 4, idleTimeoutMs: 0, bindHost: '127.0.0.1' } });
    assert.equal(config.nettools.maxSessions, 4);
    assert.equal(config.nettools.idleTimeoutMs, 0);
    assert.equal(config.nettools.bindHost, '127.0.0.1');
    assert.equal(config.nettools.maxSendBytes, 65_536);
  });

  it('refuses unknown keys and values out of range with PL_ERR_CONFIG naming the key', () => {
    assert.throws(() => parseConfig({ nettools: { maxSession: 4 } }), { code: ErrorCode.CONFIG, message: /unknown key "nettools.maxSession"/ });
    assert.throws(() => parseConfig({ nettools: { logBytes: 10 } }), { code: ErrorCode.CONFIG, message: /"nettools.logBytes" must be a whole number from 4096/ });
    assert.throws(() => parseConfig({ nettools: { minIntervalMs: 0 } }), { code: ErrorCode.CONFIG, message: /nettools.minIntervalMs/ });
    assert.throws(() => parseConfig({ nettools: { bindHost: '' } }), { code: ErrorCode.CONFIG, message: /nettools.bindHost/ });
    assert.throws(() => parseConfig({ nettools: 5 }), { code: ErrorCode.CONFIG });
  });
});
