# The on-board LED tells what the agent is doing (README "Status LED"): piconetcontrol's
# patterns plus one for errors, as on ms, off ms, on ms, off ms... (one flat tuple each:
# a tuple per step would cost a board more heap).
from picolink.rt import sleep_ms

PATTERNS = {
    # three 100 ms blinks 200 ms apart, then a 1 s pause
    'connecting': (100, 200, 100, 200, 100, 1000),
    'idle': (1500, 1500),
    'client': (20, 100),
    # ten fast blinks, then 1 s dark
    'error': (50, 50) * 9 + (50, 1000),
}


async def run(pin, state):
    """Shows the pattern of state(): 'connecting', 'idle', 'client', 'error', or None
    when the LED is not the agent's to drive (a client set up "LED"). The state is checked
    every 100 ms, so a change shows at once, and nothing is written while it is None."""
    while True:
        name = state()
        steps = PATTERNS.get(name)
        if steps is None:
            await sleep_ms(100)
            continue
        for i in range(0, len(steps), 2):
            for level in (1, 0):
                if state() != name:
                    break
                pin(level)
                ms = steps[i + 1 - level]
                while ms > 0 and state() == name:
                    await sleep_ms(min(ms, 100))
                    ms -= 100
            else:
                continue
            break


def error_blink(pin, seconds):
    """The error pattern without asyncio, for when the agent could not start."""
    import time
    for _ in range(seconds):
        steps = PATTERNS['error']
        for i in range(0, len(steps), 2):
            pin(1)
            time.sleep_ms(steps[i])
            pin(0)
            time.sleep_ms(steps[i + 1])
