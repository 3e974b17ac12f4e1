/**
 * The well-behaved client of the hub targets: a command through the whole hub — HTTP API,
 * commands service, dial-home gateway, the probe device and back —
 * `POST /api/devices/probe/commands {"action":"ping"}`, which must answer 200 `ok: true`.
 */
import { loadSeeds } from '@picolink/test-kit/fuzz';
import type { ProbeClient, TargetProcess } from '@picolink/test-kit/fuzz';
import { PROBE_DEVICE } from './hub-process.js';

export async function hubProbe(target: TargetProcess): Promise<ProbeClient> {
  const url = `http://127.0.0.1:${target.port('httpPort')}/api/devices/${PROBE_DEVICE}/commands`;
  const token = String(target.info.token);
  return {
    async ask() {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{"action":"ping"}',
      });
      const text = await response.text();
      if (response.status !== 200 || !text.includes('"ok":true')) throw new Error(`the well-behaved command got ${response.status} ${text.slice(0, 300)}`);
    },
    close: () => {},
  };
}

/**
 * The request seeds for inputs that reach the probe device through the hub (hub:// link,
 * commands API): without `update`, whose valid form restarts the device on purpose and
 * would take it offline for the well-behaved client too.
 */
export function hubRequestSeeds(): Array<Record<string, unknown>> {
  return loadSeeds().requests.filter((request) => request.action !== 'update');
}
