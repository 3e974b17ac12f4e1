# The pins as the protocol sees them (docs/protocol.md#pins, #leases, #failsafe): mode,
# driven level, owner connection, safe value, pending lease and watches. Every protocol
# rule about pins lives here; board.py only does what it is told. Mirrors
# packages/device/src/pins/.
import asyncio

from picolink import board
from picolink.errors import err
from picolink.rt import sleep_ms, use


class _Slot:
    def __init__(self, pin):
        self.pin = pin
        self.mode = 'unset'  # input, output, pwm
        self.level = 0
        self.owner = None
        self.safe = None
        self.safe_after = 0  # ms the level is kept after the owner is lost (setup_pin safe_after_ms)
        self.grace = None  # the task that applies the safe value when that grace ends
        self.lease = None  # the task that reverts the pin when the lease ends
        self.reverts_to = 0
        self.watches = {}


def _failsafe(s):
    # An output (or a PWM pin set up as one) with a safe value.
    return s.safe is not None and s.mode in ('output', 'pwm')


def _cancel(task):
    if task is not None:
        task.cancel()


class Watch:
    """One connection's watch on one pin: inputs debounced, edge filter applied."""

    settle = None  # the task waiting for an input to settle (each attribute costs a board heap)

    def __init__(self, slot, conn, edge, debounce_ms, level):
        self.slot = slot
        self.conn = conn
        self.edge = edge
        self.debounce = debounce_ms
        self.reported = level

    def changed(self, level, cause):
        # Inputs (cause None) report once the level held for the debounce time; the
        # device's own changes, and a settled input, report at once.
        _cancel(self.settle)
        self.settle = None
        if level == self.reported:
            return  # bounced back before settling, or no change
        if cause is None and self.debounce:
            self.settle = asyncio.create_task(self._settled())
            return
        self.reported = level
        if self.edge == 'both' or (self.edge == 'rising') == (level == 1):
            self.conn.pin_change(self.slot.pin, level, cause or 'input')

    async def _settled(self):
        await sleep_ms(self.debounce)
        self.settle = None
        self.changed(self.conn.dev.pins.level_of(self.slot), 'input')


class Pins:
    def __init__(self, hw, board_name):
        self.hw = hw
        self.board_name = board_name
        self._slots = {}

    def _slot(self, pin, gpio=False):
        s = self._slots.get(pin)
        if s is None:
            if pin != board.LED and pin not in board.GPIO:
                raise err('no_pin', pin, self.board_name)
            s = self._slots[pin] = _Slot(pin)
        if gpio and s.mode == 'unset':
            raise err('not_set', pin)
        if gpio and s.mode == 'pwm':
            raise err('is_pwm', pin)
        return s

    def level_of(self, s):
        return self.hw.read(s.pin) if s.mode == 'input' else s.level

    def setup(self, pin, mode, pull, value, safe, owner, safe_after=0):
        """Configures a pin; returns its level afterwards."""
        s = self._slot(pin)
        if mode == 'input':
            if pin == board.LED:
                raise err('led_in')
            if safe is not None:
                raise err('safe_in', pin)
        self._end_lease(s)
        self._own(s, owner)
        s.safe = safe
        s.safe_after = safe_after if safe is not None and mode == 'output' else 0
        if mode == 'input':
            self.hw.configure_input(pin, pull)
            level = self.hw.read(pin)
        else:
            level = s.level if value is None else value
            self.hw.configure_output(pin, level)
            s.level = level
        s.mode = mode
        self._notify(s, level, 'setup')
        return level

    def write(self, pin, value, lease_ms, owner):
        """Drives an output for good, or as a lease; returns (previous, reverts_to or None)."""
        s = self._slot(pin, True)
        if s.mode == 'input':
            raise err('is_in', pin)
        previous = s.level
        if lease_ms > 0:
            # A write during a lease extends it and keeps the level from before it began.
            if s.lease is None:
                s.reverts_to = previous
            else:
                s.lease.cancel()
            s.lease = asyncio.create_task(self._lease(s, lease_ms))
        else:
            self._end_lease(s)
        self._own(s, owner)
        self._drive(s, value, 'write')
        return previous, s.reverts_to if lease_ms > 0 else None

    async def _lease(self, s, ms):
        await sleep_ms(ms)
        s.lease = None
        self._drive(s, s.reverts_to, 'lease')

    def read(self, pin):
        return self.level_of(self._slot(pin, True))

    def watch(self, pin, conn, edge, debounce_ms):
        """Starts (or replaces) conn's watch on a set-up pin; returns the level now."""
        s = self._slot(pin, True)
        self.unwatch(pin, conn)
        level = self.level_of(s)
        s.watches[conn] = Watch(s, conn, edge, debounce_ms, level)
        return level

    def unwatch(self, pin, conn):
        w = self._slot(pin).watches.pop(conn, None)
        if w is not None:
            _cancel(w.settle)

    def release_owner(self, owner):
        """The owner's connection is gone: the failsafe applies to its pins (failsafe.py,
        loaded for the moment: not every request needs it)."""
        use('failsafe', 'release', self, owner)

    def owns_failsafe(self, owner):
        """True when `owner` controls an output that goes to a safe value when it is lost."""
        for s in self._slots.values():
            if s.owner == owner and _failsafe(s):
                return True
        return False

    def _own(self, s, owner):
        # A setup or write: the pin has an owner again, so a failsafe waiting for its grace is off.
        _cancel(s.grace)
        s.grace = None
        s.owner = owner

    def unwatch_all(self, conn):
        for s in self._slots.values():
            w = s.watches.pop(conn, None)
            if w is not None:
                _cancel(w.settle)

    def input_changed(self, pin, level):
        s = self._slots.get(pin)
        if s is not None and s.mode == 'input':
            self._notify(s, level, None)

    def peek(self, pin):
        """Level of a pin set up as GPIO (for telemetry), else None."""
        s = self._slots.get(pin)
        return None if s is None or s.mode in ('unset', 'pwm') else self.level_of(s)

    def uses_led(self):
        s = self._slots.get(board.LED)
        return s is not None and s.mode != 'unset'

    def _drive(self, s, level, cause):
        # Always written, even an unchanged level: the hardware may have been disturbed.
        self.hw.write(s.pin, level)
        s.level = level
        self._notify(s, level, cause)

    def _end_lease(self, s):
        _cancel(s.lease)
        s.lease = None

    def _notify(self, s, level, cause):
        for w in list(s.watches.values()):
            w.changed(level, cause)
