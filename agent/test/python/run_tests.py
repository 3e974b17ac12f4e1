# Runs the agent's Python unit tests under CPython with the MicroPython shims:
#   python3 agent/test/python/run_tests.py AGENT_DIR VECTOR_DIR
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
agent_dir, vector_dir = sys.argv[1], sys.argv[2]
sys.path[:0] = [os.path.join(here, 'shims'), agent_dir, here]

import cpython_compat  # noqa: E402  (time.ticks_*, gc.mem_* as MicroPython has them)
import test_proto  # noqa: E402

cpython_compat.install()
test_proto.VECTOR_DIR = vector_dir
names = [n[:-3] for n in sorted(os.listdir(here)) if n.startswith('test_') and n.endswith('.py')]
suite = unittest.defaultTestLoader.loadTestsFromNames(names)
result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
sys.exit(0 if result.wasSuccessful() else 1)
