# Reset, sleep and update (docs/protocol.md#reset, #sleep, #update): scheduling them, and
# what happens after the reply. Rare, so actions.py loads this only for them, and a board
# that wakes from light sleep lets it go again.
import asyncio
import gc
import time

import machine

from picolink.errors import PicolinkError
from picolink.rt import release, sleep_ms


def restart_delay(dev):
    """ms until the restart already scheduled."""
    return max(0, time.ticks_diff(dev.restart_at, time.ticks_ms()))


def schedule(dev, what, arg):
    """`what` ('restart', or 'light' / 'deep' sleep for `arg` ms) after action_delay_ms;
    returns that delay. A restart already scheduled keeps its time."""
    if what == 'restart' and dev.restart_at is not None:
        return restart_delay(dev)
    delay = dev.cfg['action_delay_ms']
    if what == 'restart':
        dev.restart_at = time.ticks_add(time.ticks_ms(), delay)
    asyncio.create_task(_later(dev, delay, what, arg))
    return delay


async def _later(dev, delay, what, arg):
    await sleep_ms(delay)
    await run(dev, what, arg)
    release('power')  # back from light sleep


async def _go_dark(dev, msg):
    # Failsafe first, while every connection can still hear about it; then goodbye.
    dev.state = 'stopping'
    for s in dev.sessions:
        dev.pins.release_owner(s.id)
    closing = list(dev.sessions)
    for s in closing:
        s.close_by_device('PL_ERR_CONNECTION_CLOSED', msg)
    # Until each has said goodbye (hangup.py: its closing event sent, its socket closed);
    # a connection leaves dev.sessions before that, so their count cannot tell.
    for _ in range(50):
        if all(s.flags & 32 for s in closing):
            return
        await sleep_ms(20)


async def run(dev, what, arg):
    if what == 'restart':
        dev.log('restarting (%s)' % arg)
        await _go_dark(dev, 'the device is restarting (%s); reconnect in a moment' % arg)
        machine.reset()
    elif dev.state != 'running':
        return
    elif what == 'deep':
        dev.log('deep sleep for %d ms' % arg)
        await _go_dark(dev, 'the device is going into deep sleep for %d ms; reconnect after it wakes' % arg)
        machine.deepsleep(arg)
    else:
        # Everything stops, as on the board: frames wait in the connections meanwhile.
        # The clients were not idle, the board was: their timeouts count from waking.
        dev.log('light sleep for %d ms' % arg)
        machine.lightsleep(arg)
        now = time.ticks_ms()
        for s in dev.sessions:
            s.heard = now


async def update(dev, fields):
    """Installs an update (update.py), then restarts into it; the result fields."""
    if dev.updating or dev.restart_at is not None:
        raise PicolinkError('PL_ERR_BUSY', 'an update or restart is already under way; wait for the device to restart, then retry')
    dev.updating = True
    try:
        from picolink import update
        names = update.install(fields)
    finally:
        dev.updating = False
        release('update')
        gc.collect()
    dev.log('update installed: %s' % ', '.join(names))
    schedule(dev, 'restart', 'update')
    return [('updated', names), ('delay_ms', restart_delay(dev))]
