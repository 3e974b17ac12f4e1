/**
 * The device's control port as a fuzz target (docs/fuzzing.md): fuzzed requests in
 * batches over TCP, each batch followed by a ping the device must answer on the same
 * connection; the well-behaved client pings on a connection of its own. Used by
 * fuzz.test.ts and by `npm run bench -- fuzz`.
 */
import { fileURLToPath } from 'node:url';
import { describeFrame, fuzzFrame, LineSession, loadSeeds, TargetProcess } from '@picolink/test-kit/fuzz';
import type { FuzzTarget, ProbeClient } from '@picolink/test-kit/fuzz';
import { connectWhenUp, LineClient } from '@picolink/test-kit/line-client';

const DEVICE_PROCESS = fileURLToPath(new URL('./fuzz-device-process.js', import.meta.url));

/**
 * A ping on a connection of its own, answered `ok: true`. A fuzzed `update` that is valid
 * restarts the device on purpose (announced by a `closing` event saying so): the client
 * then reconnects, as a real one would. Any other loss of its connection is a failure.
 */
export async function pingProbe(port: number): Promise<ProbeClient> {
  let client = await LineClient.connect(port, { timeoutMs: 10_000 });
  let n = 0;
  const restarted = (c: LineClient): boolean => c.inbox.some((m) => m.event === 'closing' && typeof m.error === 'string' && m.error.includes('restarting'));
  return {
    async ask() {
      const id = `probe-${++n}`;
      try {
        client.send({ id, action: 'ping' });
        const reply = await client.next((m) => m.id === id);
        if (reply.ok !== true) throw new Error(`the well-behaved ping got ${JSON.stringify(reply)}`);
      } catch (err) {
        if (!restarted(client)) throw err;
        client.close();
        client = await connectWhenUp(port, 5000);
      }
    },
    close: () => client.close(),
  };
}

/** Fuzzed requests against a device process started with startDevice. */
export function deviceFuzzTarget(seed: number): FuzzTarget {
  const seeds = loadSeeds().requests;
  const frame = (index: number) => fuzzFrame(seed, index, seeds);
  return {
    name: 'device (TCP control port)',
    start: () => TargetProcess.start(DEVICE_PROCESS),
    open: async (target) => new LineSession({ port: target.port('port'), seed, frame }),
    probe: (target) => pingProbe(target.port('port')),
    describe: (index) => describeFrame(frame(index)),
  };
}
