# The failsafe (docs/protocol.md#failsafe): when a connection is lost, the outputs it owned
# with a safe value go to it. Pins.release_owner() loads this only when a connection ends,
# and lets it go again; a pending grace keeps what it needs while it waits.
import asyncio

from picolink.pins import _cancel, _failsafe
from picolink.rt import sleep_ms


def release(pins, owner):
    """Its outputs with a safe value go to it at once (a pending lease is dropped, a PWM pin
    stops), and nobody owns its pins any more. A pin set up with safe_after_ms keeps its
    level that long first; a setup or write by a new owner meanwhile cancels its failsafe."""
    for s in pins._slots.values():
        if s.owner != owner:
            continue
        s.owner = None
        if not _failsafe(s):
            continue
        if s.safe_after:
            _cancel(s.grace)
            s.grace = asyncio.create_task(_grace(pins, s))
        else:
            _apply(pins, s)


async def _grace(pins, s):
    await sleep_ms(s.safe_after)
    s.grace = None
    if s.owner is None and _failsafe(s):
        _apply(pins, s)


def _apply(pins, s):
    pins._end_lease(s)
    if s.mode == 'pwm':
        pins.hw.configure_output(s.pin, s.safe)
        s.mode = 'output'
        s.level = s.safe
        pins._notify(s, s.safe, 'failsafe')
    else:
        pins._drive(s, s.safe, 'failsafe')
