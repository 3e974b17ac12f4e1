// The agent suite under CPython (python3), with shim modules for machine, network,
// micropython, tls and time.ticks_* (test/python/).
import { TLS_SUITE_OPTIONS } from './harness/tls-options.js';
import { agentSuite } from './suite.js';

agentSuite('cpython', TLS_SUITE_OPTIONS);
