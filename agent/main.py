# picolink agent for the Raspberry Pi Pico W (MicroPython 1.23 or later).
#
# Start-up with the update guard. After an `update` (picolink/update.py) the marker file
# names the new files. At the next start the marker is set to "trying" and the new code is
# started; once it accepts connections the marker is cleared and the outcome recorded
# ("ok"). If it raises before that, its files are rolled back to the .bak copies and the
# board restarts into the old code ("rolled_back"). A start that never got as far as
# clearing the marker (a hang stopped by the watchdog, a power cut) finds it still
# "trying" and rolls back too. This file keeps no state of its own and imports nothing
# from picolink until the guard has run, so a broken picolink package cannot stop it.
# Once the agent accepts connections the guard's functions are dropped, leaving start().
import json
import os
import sys

import machine

MARKER = '.picolink-update.json'
STATUS = '.picolink-last-update.json'


def _file(name, value=None, remove=False):
    """Reads a JSON file (None if absent or torn), writes `value` to it, or removes it."""
    try:
        if remove:
            os.remove(name)
        elif value is not None:
            with open(name, 'w') as f:
                json.dump(value, f)
        else:
            with open(name) as f:
                return json.load(f)
    except (OSError, ValueError):
        return None


def _exists(name):
    try:
        os.stat(name)
        return True
    except OSError:
        return False


def rollback(marker):
    """Puts back the files from before the update and removes the ones it added."""
    files = (marker.get('files') if isinstance(marker, dict) else None) or []
    backed_up = (marker.get('backed_up') if isinstance(marker, dict) else None) or []
    for name in files:
        if _exists(name + '.new'):
            # The swap was cut short: only the .bak may hold the old file.
            if name in backed_up and not _exists(name):
                os.rename(name + '.bak', name)
            _file(name + '.new', remove=True)
        else:
            _file(name, remove=True)
            if name in backed_up:
                os.rename(name + '.bak', name)
    _file(STATUS, {'status': 'rolled_back', 'files': files})
    _file(MARKER, remove=True)
    print('picolink: update rolled back: ' + ', '.join(files))


def _begin():
    """The guard before the start: the pending update's marker set to "trying" (None when
    there is none), or False after a rollback, when the board restarts."""
    if not _exists(MARKER):
        return None
    marker = _file(MARKER)
    files = marker.get('files') if isinstance(marker, dict) else None
    if not isinstance(files, list) or marker.get('state') != 'pending' or [n for n in files if _exists(n + '.new')]:
        rollback(marker)
        machine.reset()
        return False
    marker['state'] = 'trying'
    _file(MARKER, marker)
    return marker


def _started(marker):
    """The agent accepts connections: the update is confirmed, and the guard's code is let
    go (on a board every function lives in the heap; none of it is needed again)."""
    if marker is not None:
        _file(STATUS, {'status': 'ok', 'files': marker['files']})
        _file(MARKER, remove=True)
        print('picolink: update confirmed: ' + ', '.join(marker['files']))
    g = globals()
    for name in ('_begin', '_started', '_exists', 'rollback', '_file', 'MARKER', 'STATUS'):
        g.pop(name, None)


async def start(net=None):
    """The agent, guarded. `net` replaces the network edge (picolink/net.py)."""
    marker = _begin()
    if marker is False:
        return
    raw = _file('config.json')
    try:
        from picolink import app
        await app.main(raw, net, lambda: _started(marker))
    except Exception as e:
        if hasattr(sys, 'print_exception'):
            sys.print_exception(e)
        else:
            import traceback
            traceback.print_exception(e)
        if marker is not None and 'rollback' in globals():
            # It never accepted connections: back to the code from before the update.
            rollback(marker)
            machine.reset()
            return
        delay = raw.get('crash_restart_ms', 10000) if isinstance(raw, dict) else 10000
        print('picolink: stopped by an error; restarting in %d ms' % delay)
        try:
            from picolink.errorled import blink
            blink(machine.Pin('LED', machine.Pin.OUT), delay // 1000)
        except Exception:
            pass
        machine.reset()


if __name__ == '__main__':
    import asyncio
    asyncio.run(start())
