# The on-board LED's error pattern (README "Status LED"): ten fast blinks, then 1 s dark.
# main.py shows it, without asyncio, while it waits to restart an agent stopped by an
# error; only then is this loaded (the status LED's running patterns are in led.py).
import time


def blink(pin, seconds):
    """The error pattern, once a second for `seconds` s."""
    for _ in range(seconds):
        for i in range(10):
            pin(1)
            time.sleep_ms(50)
            pin(0)
            time.sleep_ms(1000 if i == 9 else 50)
