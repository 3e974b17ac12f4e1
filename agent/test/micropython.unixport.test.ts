// The agent on real MicroPython: the unix port, 64-bit (`unix`) and 32-bit with the Pico's
// single-precision floats (`unix32`), with the interpreter's own sockets, select, asyncio
// and tls (mbedtls); only `machine` and `network` are stood in (test/python/shims). The
// whole behaviour suite runs on both, TLS included, and so do the codec's unit tests.
// `npm run test:micropython` runs this file; harness/unix-port.ts finds the interpreters.
import { TLS_SUITE_OPTIONS } from './harness/tls-options.js';
import { agentSuite } from './suite.js';

for (const port of ['unix', 'unix32'] as const) {
  agentSuite(port, TLS_SUITE_OPTIONS);
}
