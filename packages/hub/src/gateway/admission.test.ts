import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { PicolinkError } from '@picolink/protocol';
import type { Hello } from '@picolink/protocol';
import { parseConfig } from '../config.js';
import { HelloAdmission } from './admission.js';

function hello(device: string, token?: string): Hello {
  return { device, protocol: 1, firmware: '1', capabilities: [], boot: 1, ...(token === undefined ? {} : { token }) };
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof PicolinkError ? err.code : 'not coded';
  }
}

test('configured devices need their token; devices without one need none; unknown ids depend on acceptUnknownDevices', () => {
  const config = parseConfig({ devices: [{ id: 'a', token: 'secret', config: { x: 1 } }, { id: 'b' }] });
  const admission = new HelloAdmission(config);
  assert.deepEqual(admission.admit(hello('a', 'secret'))?.config, { x: 1 });
  assert.equal(code(() => admission.admit(hello('a', 'secreT'))), 'PL_ERR_UNAUTHORIZED');
  assert.equal(code(() => admission.admit(hello('a', 'secret-and-more'))), 'PL_ERR_UNAUTHORIZED');
  assert.equal(code(() => admission.admit(hello('a'))), 'PL_ERR_UNAUTHORIZED');
  assert.equal(admission.admit(hello('b', 'whatever'))?.id, 'b');
  assert.equal(code(() => admission.admit(hello('c'))), 'PL_ERR_UNKNOWN_DEVICE');
  const open = new HelloAdmission(parseConfig({ gateway: { acceptUnknownDevices: true } }));
  assert.equal(open.admit(hello('c')), undefined);
});
