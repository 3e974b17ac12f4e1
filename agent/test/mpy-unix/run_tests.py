# Runs the agent's codec tests (test/python/test_proto.py: the shared test vectors and
# the codec's own cases) inside MicroPython's unix port:
#   micropython run_tests.py AGENT_DIR VECTOR_DIR
# Exit code 0 when every test passed.
import sys

here = sys.path[0]
agent_dir, vector_dir = sys.argv[1], sys.argv[2]
tests_dir = here.rsplit('/', 1)[0] + '/python'
# unittest.py beside this file, the agent's picolink package, the tests, the stand-ins for
# machine and network, and the interpreter's frozen modules.
sys.path[:] = [here, agent_dir, tests_dir, tests_dir + '/shims', '.frozen']

import unittest  # noqa: E402

import test_proto  # noqa: E402

test_proto.VECTOR_DIR = vector_dir
sys.exit(0 if unittest.main(test_proto) else 1)
