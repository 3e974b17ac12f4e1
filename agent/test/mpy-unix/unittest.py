# The part of `unittest` the agent's Python tests use, for MicroPython's unix port, which
# ships without it (micropython-lib's unittest would need `mip` and a network). Tests run
# in name order; the summary lines match CPython's ("Ran N tests", then "OK" or
# "FAILED (failures=N)") so one check reads both.
import sys


class SkipTest(Exception):
    pass


class TestCase:
    def setUp(self):
        pass

    def tearDown(self):
        pass

    def fail(self, msg=None):
        raise AssertionError(msg or 'failed')

    def _check(self, ok, default, msg):
        if not ok:
            raise AssertionError(default if msg is None else '%s : %s' % (default, msg))

    def assertEqual(self, a, b, msg=None):
        self._check(a == b, '%r != %r' % (a, b), msg)

    def assertNotEqual(self, a, b, msg=None):
        self._check(a != b, '%r == %r' % (a, b), msg)

    def assertTrue(self, x, msg=None):
        self._check(x, 'Expected %r to be True' % (x,), msg)

    def assertFalse(self, x, msg=None):
        self._check(not x, 'Expected %r to be False' % (x,), msg)

    def assertIsNone(self, x, msg=None):
        self._check(x is None, '%r is not None' % (x,), msg)

    def assertIsNotNone(self, x, msg=None):
        self._check(x is not None, 'unexpectedly None', msg)

    def assertIn(self, x, container, msg=None):
        self._check(x in container, '%r not found in %r' % (x, container), msg)

    def assertNotIn(self, x, container, msg=None):
        self._check(x not in container, '%r unexpectedly found in %r' % (x, container), msg)

    def assertIsInstance(self, x, cls, msg=None):
        self._check(isinstance(x, cls), '%r is not an instance of %r' % (x, cls), msg)

    def assertLess(self, a, b, msg=None):
        self._check(a < b, '%r not less than %r' % (a, b), msg)

    def assertGreater(self, a, b, msg=None):
        self._check(a > b, '%r not greater than %r' % (a, b), msg)

    def assertAlmostEqual(self, a, b, places=7, msg=None, delta=None):
        ok = abs(a - b) <= delta if delta is not None else round(abs(a - b), places) == 0
        self._check(ok, '%r != %r within %s' % (a, b, delta if delta is not None else '%d places' % places), msg)

    def assertRaises(self, exc, fn=None, *args, **kwargs):
        context = _Raises(exc)
        if fn is None:
            return context
        with context:
            fn(*args, **kwargs)


class _Raises:
    def __init__(self, exc):
        self.expected = exc
        self.exception = None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is None:
            raise AssertionError('%s not raised' % getattr(self.expected, '__name__', self.expected))
        if not issubclass(kind, self.expected):
            return False
        self.exception = value
        return True


def _cases(module):
    for name in sorted(dir(module)):
        obj = getattr(module, name)
        if isinstance(obj, type) and issubclass(obj, TestCase) and obj is not TestCase:
            yield obj


def main(module='__main__'):
    """Runs every test_* method of every TestCase in `module` (a module or its name),
    prints one line per test and the summary, and returns True when all passed."""
    if isinstance(module, str):
        module = sys.modules[module]
    ran = 0
    failures = 0
    for case in _cases(module):
        for name in sorted(dir(case)):
            if not name.startswith('test'):
                continue
            ran += 1
            test = case()
            try:
                test.setUp()
                try:
                    getattr(test, name)()
                finally:
                    test.tearDown()
                print('%s (%s.%s) ... ok' % (name, module.__name__, case.__name__))
            except Exception as e:
                failures += 1
                print('%s (%s.%s) ... FAIL' % (name, module.__name__, case.__name__))
                sys.print_exception(e)
    print('-' * 70)
    print('Ran %d tests' % ran)
    print('')
    print('OK' if failures == 0 else 'FAILED (failures=%d)' % failures)
    return failures == 0
