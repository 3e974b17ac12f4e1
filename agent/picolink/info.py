# get_info, get_resource_info and list_actions (docs/protocol.md#actions): asked now and
# then rather than all the time, so actions.py loads this for them and lets it go again.
import gc
import sys

from picolink import board, proto
from picolink.actions import VERSION, capabilities
from picolink.jsontext import Obj


def _rssi(dev):
    try:
        return dev.wlan.status('rssi') if dev.wlan.isconnected() else None
    except Exception:
        return None


def action_names():
    """The actions the agent serves, in the order of proto.ACTIONS."""
    return [line.split(' ', 1)[0] for line in proto.ACTIONS.split('\n')]


def run(dev, action, conn):
    if action == 'list_actions':
        return [('actions', action_names())]
    info = Obj()
    for k, v in (('mem_free', gc.mem_free()), ('mem_alloc', gc.mem_alloc()), ('uptime_ms', dev.uptime()),
                 ('board', dev.board_name), ('platform', sys.platform), ('firmware', VERSION), ('protocol', 1),
                 ('capabilities', capabilities(conn)), ('rssi', _rssi(dev)), ('pins', list(board.GPIO)),
                 ('last_update', dev.last_update), ('device_id', dev.device_id)):
        info[k] = v
    return [('info', info)]
