# set_pwm (docs/protocol.md#actions): switching a pin to PWM. Only some setups use PWM, so
# actions.py loads this for the request and lets it go again; the PWM objects stay with
# the board (board.py), which stops them when the pin is set up as GPIO again.
from machine import PWM

from picolink import board
from picolink.errors import err


def set_pwm(pins, pin, freq, duty):
    """Switches a pin to PWM; returns the 16-bit duty written."""
    s = pins._slot(pin)
    if pin == board.LED:
        raise err('led_pwm')
    duty_u16 = int(duty * 65535 + 0.5)
    pins._end_lease(s)
    hw = pins.hw
    pwm = hw._pwm.get(pin)
    if pwm is None:
        p = hw._pin(pin)
        p.irq(handler=None)
        pwm = hw._pwm[pin] = PWM(p)
    pwm.freq(freq)
    pwm.duty_u16(duty_u16)
    s.mode = 'pwm'
    return duty_u16
