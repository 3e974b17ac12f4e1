/**
 * The hub's dial-home gateway as two fuzz targets (docs/fuzzing.md):
 * - before hello: each input is the first frame of a new connection, mutated from the
 *   hello vectors (and requests); the gateway must answer with an error frame with a known
 *   code and close, or welcome it;
 * - after hello: each connection first says a valid hello with its token (device
 *   `fuzz-N`), then sends fuzzed requests, responses and events in batches, each
 *   followed by a ping the gateway answers.
 */
import { describeFrame, fuzzFrame, LineSession, loadSeeds } from '@picolink/test-kit/fuzz';
import type { FuzzTarget } from '@picolink/test-kit/fuzz';
import { FUZZ_DEVICES, FUZZ_TOKEN } from './hub-process.js';
import { hubProbe } from './hub-probe.js';
import { startHubTarget } from './hub-start.js';

export function gatewayHelloFuzzTarget(seed: number): FuzzTarget {
  const { hellos, requests } = loadSeeds();
  // Mostly hellos; some requests, as a device that skips the hello would send.
  const pool = [...hellos, ...hellos, ...hellos, ...requests.slice(0, hellos.length)];
  const frame = (index: number) => fuzzFrame(seed, index, pool);
  return {
    name: 'hub gateway, before hello',
    start: startHubTarget,
    open: async (target) => new LineSession({ port: target.port('gatewayPort'), seed, frame, oneShot: true }),
    probe: hubProbe,
    describe: (index) => describeFrame(frame(index)),
  };
}

export function gatewayDeviceFuzzTarget(seed: number): FuzzTarget {
  const { requests } = loadSeeds();
  const frame = (index: number) => fuzzFrame(seed, index, requests);
  let sessions = 0;
  return {
    name: 'hub gateway, after a valid hello',
    start: startHubTarget,
    open: async (target) => {
      const device = `fuzz-${sessions++ % FUZZ_DEVICES}`;
      const hello = JSON.stringify({ id: 'h', action: 'hello', device, token: FUZZ_TOKEN, protocol: 1, firmware: 'fuzz', capabilities: ['pipeline', 'events'], boot: 1 });
      return new LineSession({
        port: target.port('gatewayPort'),
        seed,
        frame,
        greeting: { line: hello + '\n', accepted: (m) => m.id === 'h' && m.ok === true },
      });
    },
    probe: hubProbe,
    describe: (index) => describeFrame(frame(index)),
  };
}
