# Test stand-in for MicroPython's `machine` on a Pico W, used by both test routes (CPython
# and MicroPython on WebAssembly). Every hardware write is reported as a line
# "@hw {json}" on stdout for the test to check; the test drives inputs and ADC readings
# with JSON lines that its host passes to _apply(). Reset and deep sleep end the process
# through the host, which starts it again as a board would boot.
import json
import time

# Set by the host: _exit(code) ends the process (3: reset, 4: deep sleep).
_exit = None

_t0 = time.ticks_ms()
_pins = {}
# Raw read_u16 values: channel 3 is VSYS/3 (5 V supply), 4 the sensor at about 25 °C.
_adc = {0: 0, 1: 0, 2: 0, 3: 33512, 4: 14089}


_UNSET = object()


def _emit(fields):
    fields['t'] = time.ticks_diff(time.ticks_ms(), _t0)
    print('@hw ' + json.dumps(fields))


def _pid(id):
    return id if id == 'LED' else int(id)


class _Irq:
    def __init__(self):
        self._flags = 0

    def flags(self):
        return self._flags


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __new__(cls, id, *args, **kwargs):
        key = _pid(id)
        p = _pins.get(key)
        if p is None:
            p = object.__new__(cls)
            p.id = key
            p.mode = None
            p.pull = None
            p.driven = 0
            p.external = None
            p.handler = None
            p.trigger = 0
            p._irq = _Irq()
            _pins[key] = p
        return p

    def __init__(self, id, mode=-1, pull=-1, value=None):
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, value=None):
        if mode != -1 and mode is not None:
            self.mode = mode
        if pull != -1:
            self.pull = pull
        if mode != -1 and mode is not None:
            _emit({'op': 'mode', 'pin': self.id, 'mode': 'out' if self.mode == Pin.OUT else 'in',
                   'pull': {Pin.PULL_UP: 'up', Pin.PULL_DOWN: 'down'}.get(self.pull, 'none')})
        if value is not None:
            self.value(value)

    def _level(self):
        if self.mode == Pin.OUT:
            return self.driven
        if self.external is not None:
            return self.external
        return 1 if self.pull == Pin.PULL_UP else 0

    def value(self, v=None):
        if v is None:
            return self._level()
        self.driven = 1 if v else 0
        _emit({'op': 'write', 'pin': self.id, 'level': self.driven})

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=_UNSET, trigger=IRQ_FALLING | IRQ_RISING, hard=False):
        # As on the board, irq() without a handler argument only returns the irq object.
        if handler is not _UNSET:
            self.handler = handler
            self.trigger = trigger
        return self._irq


class PWM:
    def __init__(self, pin, freq=None, duty_u16=None):
        self.pin = pin
        self._freq = 0
        self._duty = 0

    def freq(self, f=None):
        if f is None:
            return self._freq
        self._freq = f

    def duty_u16(self, d=None):
        if d is None:
            return self._duty
        self._duty = d
        _emit({'op': 'pwm', 'pin': self.pin.id, 'freq': self._freq, 'duty_u16': d})

    def deinit(self):
        _emit({'op': 'pwm_off', 'pin': self.pin.id})


class ADC:
    def __init__(self, channel):
        self.channel = channel if isinstance(channel, int) else channel.id - 26

    def read_u16(self):
        return _adc.get(self.channel, 0)


class WDT:
    def __init__(self, id=0, timeout=5000):
        self.feeds = 0
        _emit({'op': 'wdt', 'timeout': timeout})

    def feed(self):
        self.feeds += 1


def unique_id():
    return b'\xe6\x61\x38\x10\x4b\x2a\x5c\x23'


def freq(f=None):
    return 125000000


def reset():
    _emit({'op': 'reset'})
    _exit(3)


def lightsleep(ms=0):
    _emit({'op': 'lightsleep', 'ms': ms})
    # The whole board stops; so does this process. Frames wait in the sockets meanwhile.
    time.sleep_ms(ms)


def deepsleep(ms=0):
    _emit({'op': 'deepsleep', 'ms': ms})
    _exit(4)


def _apply(line):
    """One command from the test: {"pin": N, "level": 0|1|null} sets what is wired to an
    input (null: nothing, the pull resistor decides), {"adc": N, "u16": V} an ADC
    reading, {"sync": N} is answered "@sync N" behind everything printed so far. An input's level change fires its interrupt, edge by edge, as hardware does."""
    cmd = json.loads(line)
    if 'sync' in cmd:
        print('@sync %d' % cmd['sync'])
        return
    if 'adc' in cmd:
        _adc[cmd['adc']] = cmd['u16']
        return
    if 'pin' in cmd:
        p = Pin(cmd['pin'])
        before = p._level()
        p.external = cmd['level']
        after = p._level()
        if p.mode != Pin.OUT and after != before and p.handler is not None:
            edge = Pin.IRQ_RISING if after else Pin.IRQ_FALLING
            if p.trigger & edge:
                p._irq._flags = edge
                p.handler(p)
