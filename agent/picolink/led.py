# The on-board LED tells what the agent is doing (README "Status LED"): piconetcontrol's
# patterns, as on ms, off ms, on ms, off ms... (one flat tuple each: a tuple per step
# would cost a board more heap). The error pattern, shown once the agent has stopped, is
# errorled.py's.
from picolink.rt import sleep_ms

PATTERNS = {
    # three 100 ms blinks 200 ms apart, then a 1 s pause
    'connecting': (100, 200, 100, 200, 100, 1000),
    'idle': (1500, 1500),
    'client': (20, 100),
}


async def run(pin, state):
    """Shows the pattern of state(): 'connecting', 'idle', 'client', or None
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
