/**
 * A device for the fuzzer to attack, in its own process (docs/fuzzing.md): startDevice on
 * 127.0.0.1, port 0, simulated pins, default limits. Reports `{ port }` over IPC when it
 * accepts connections; SIGTERM closes it. An input that kills the device kills this
 * process, and the fuzzer sees the exit.
 */
import { startDevice } from '../src/start.js';

const device = await startDevice({
  host: '127.0.0.1',
  port: 0,
  deviceId: 'fuzz-target',
  // Internal errors go to stderr, where the fuzzer reports them; the rest would bury them.
  log: (line) => {
    if (/internal error|PL_ERR_INTERNAL/i.test(line)) process.stderr.write(`device log: ${line.slice(0, 2000)}\n`);
  },
});
process.send?.({ port: device.port });
process.once('SIGTERM', () => {
  void device.close().then(() => process.exit(0));
});
// The parent going away ends the target too: a fuzz run never leaves devices behind.
process.once('disconnect', () => {
  void device.close().then(() => process.exit(0));
});
