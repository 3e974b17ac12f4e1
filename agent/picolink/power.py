# Restart, sleep and update: what happens after the reply to `reset`, `sleep` and `update`
# (docs/protocol.md#reset, #sleep, #update). Rare, so app.py loads this only when needed.
import gc
import time

import machine

from picolink.rt import release, sleep_ms


async def _go_dark(dev, msg):
    # Failsafe first, while every connection can still hear about it; then goodbye.
    dev.state = 'stopping'
    for s in dev.sessions:
        dev.pins.release_owner(s.id)
    for s in list(dev.sessions):
        s.close_by_device('PL_ERR_CONNECTION_CLOSED', msg)
    for _ in range(50):
        if not dev.sessions:
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
    """Installs an update (update.py), then restarts into it; returns the names written."""
    try:
        from picolink import update
        names = update.install(fields)
    finally:
        dev.updating = False
        release('update')
        gc.collect()
    dev.log('update installed: %s' % ', '.join(names))
    dev.schedule_restart('update')
    return names
