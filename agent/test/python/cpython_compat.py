# What MicroPython's built-in modules have and CPython's lack, added for running the agent
# under CPython: time.ticks_* / sleep_ms, gc.mem_free / mem_alloc.
import gc
import time

_TICKS_PERIOD = 1 << 30
_HEAP = 192064


def _ticks_ms():
    return int(time.monotonic() * 1000) & (_TICKS_PERIOD - 1)


def _ticks_us():
    return int(time.monotonic() * 1000000) & (_TICKS_PERIOD - 1)


def _ticks_add(t, delta):
    return (t + delta) & (_TICKS_PERIOD - 1)


def _ticks_diff(a, b):
    d = (a - b) & (_TICKS_PERIOD - 1)
    return d - _TICKS_PERIOD if d >= _TICKS_PERIOD // 2 else d


def install():
    time.ticks_ms = _ticks_ms
    time.ticks_us = _ticks_us
    time.ticks_add = _ticks_add
    time.ticks_diff = _ticks_diff
    time.sleep_ms = lambda ms: time.sleep(ms / 1000)
    time.sleep_us = lambda us: time.sleep(us / 1000000)
    # CPython has no fixed heap: report a Pico W's total, as the simulator does.
    gc.mem_alloc = lambda: 40000
    gc.mem_free = lambda: _HEAP - 40000
