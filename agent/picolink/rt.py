# What differs between MicroPython's asyncio and CPython's (the agent also runs under
# CPython in tests), and Unix time.
import asyncio
import sys
import time

try:
    sleep_ms = asyncio.sleep_ms
except AttributeError:
    def sleep_ms(ms):
        return asyncio.sleep(ms / 1000)

try:
    # Set from interrupt handlers on the board.
    Flag = asyncio.ThreadSafeFlag
except AttributeError:
    # CPython and the webassembly port: pin changes arrive on the event loop's own thread.
    Flag = asyncio.Event


async def _await(aw):
    return await aw


def wait_for_ms(aw, ms):
    """asyncio.wait_for with a timeout in ms. MicroPython's wants a coroutine, so anything
    awaitable is wrapped in one."""
    return asyncio.wait_for(_await(aw), ms / 1000)


# The RTC counts from 1970 on rp2 (on older ports from 2000). It counts as set once NTP,
# the hub's welcome or a host has given it a date after 2023.
_SHIFT = 0 if time.gmtime(0)[0] == 1970 else 946684800
_offset = 0


def unix_ns():
    return time.time_ns() + _SHIFT * 1000000000 + _offset


def set_clock(ms):
    """From now on Unix time is `ms` (the hub's clock, from its welcome)."""
    global _offset
    _offset += int(ms) * 1000000 - unix_ns()


def unix_ms():
    """Unix time in ms when the clock has been set, else None."""
    ms = unix_ns() // 1000000
    return ms if ms > 1700000000000 else None


def use(module, name, *args):
    """Calls `name` of picolink.`module`, a module needed only now and then: loaded for
    the call and let go again."""
    try:
        return getattr(getattr(__import__('picolink.' + module), module), name)(*args)
    finally:
        release(module)


def release(name):
    """Lets module picolink.`name` leave the heap: Python keeps a module in sys.modules
    and as an attribute of its package, so both references go."""
    sys.modules.pop('picolink.' + name, None)
    pkg = sys.modules.get('picolink')
    if name in dir(pkg):
        delattr(pkg, name)
