# The Pico W's hardware, as the pin registry uses it: GPIO, PWM, ADC, input interrupts.
# Only this module touches machine.Pin/PWM/ADC, so the protocol's pin rules (pins.py)
# never depend on the port; tests run it over shim modules that record every write.
from machine import ADC, Pin
from micropython import const

# The pins a Pico W has: these GPIO numbers and "LED".
GPIO = tuple(range(23)) + (26, 27, 28)
LED = 'LED'
_RING = const(32)


class Board:
    """Pin objects made on first use. Input changes are caught by interrupts into a
    preallocated ring (nothing is allocated in the handler) and a flag wakes the task that
    hands them to the watches."""

    def __init__(self, flag):
        self._pins = {}
        self._pwm = {}
        self._adc = {}
        self._flag = flag
        self._ring_pin = bytearray(_RING)
        self._ring_level = bytearray(_RING)
        self._head = 0
        self._tail = 0

    def _pin(self, pin):
        p = self._pins.get(pin)
        if p is None:
            # Pin(n) alone leaves the pin as it is until the registry configures it.
            p = Pin(pin, Pin.OUT) if pin == LED else Pin(pin)
            self._pins[pin] = p
        return p

    def _stop_pwm(self, pin):
        pwm = self._pwm.pop(pin, None)
        if pwm is not None:
            pwm.deinit()

    def configure_input(self, pin, pull):
        self._stop_pwm(pin)
        p = self._pin(pin)
        p.init(Pin.IN, Pin.PULL_UP if pull == 'up' else Pin.PULL_DOWN if pull == 'down' else None)
        p.irq(handler=lambda p, n=pin: self._irq(n, p), trigger=Pin.IRQ_RISING | Pin.IRQ_FALLING)

    def configure_output(self, pin, level):
        self._stop_pwm(pin)
        p = self._pin(pin)
        if pin == LED:
            p.value(level)
        else:
            p.irq(handler=None)
            p.init(Pin.OUT, value=level)

    def write(self, pin, level):
        self._pin(pin).value(level)

    def read(self, pin):
        return 1 if self._pin(pin).value() else 0

    def read_adc(self, channel):
        adc = self._adc.get(channel)
        if adc is None:
            adc = self._adc[channel] = ADC(channel)
        return adc.read_u16()

    def _irq(self, pin, p):
        # Runs as an interrupt (soft on rp2): note which edge fired, allocate nothing. An
        # edge that is both (or none) is read back, since the level may have moved on.
        flags = p.irq().flags()
        if flags == Pin.IRQ_RISING:
            level = 1
        elif flags == Pin.IRQ_FALLING:
            level = 0
        else:
            level = 1 if p.value() else 0
        i = self._head
        self._ring_pin[i] = pin
        self._ring_level[i] = level
        self._head = (i + 1) % _RING
        if self._head == self._tail:
            self._tail = (self._tail + 1) % _RING
        self._flag.set()

    def changes(self):
        """Input changes caught since the last call: (pin, level) pairs, oldest first."""
        out = []
        while self._tail != self._head:
            i = self._tail
            out.append((self._ring_pin[i], self._ring_level[i]))
            self._tail = (i + 1) % _RING
        return out
