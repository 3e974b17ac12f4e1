# Runs the agent under CPython as a board would run it, for the tests:
#   python3 -u -B run_agent.py FLASH_DIR [SHIM_OPTIONS_JSON]
# FLASH_DIR holds what the board's flash would (main.py, picolink/, config.json) and is
# the working directory. Lines on stdin are passed to machine._apply() (inputs, ADC);
# machine.reset() and deep sleep end the process with exit code 3 and 4.
import asyncio
import json
import os
import sys
import threading

here = os.path.dirname(os.path.abspath(__file__))
flash = os.path.abspath(sys.argv[1])
options = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
sys.path[:0] = [flash, os.path.join(here, 'shims'), here]
os.chdir(flash)

import cpython_compat  # noqa: E402

cpython_compat.install()

import machine  # noqa: E402
import network  # noqa: E402


def _exit(code):
    sys.stdout.flush()
    os._exit(code)


machine._exit = _exit
network._FAILS = options.get('wifi_fails', 0)


def _read_stdin(loop):
    for line in sys.stdin:
        if line.strip():
            loop.call_soon_threadsafe(machine._apply, line)
    # The test closed our stdin: it is done with this board.
    loop.call_soon_threadsafe(_exit, 0)


async def _boot():
    threading.Thread(target=_read_stdin, args=(asyncio.get_running_loop(),), daemon=True).start()
    import main
    await main.start()


asyncio.run(_boot())
