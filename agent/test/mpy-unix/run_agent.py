# Runs the agent on MicroPython's unix port as a board would run it, for the tests:
#   micropython [-X heapsize=N] run_agent.py FLASH_DIR SHIM_DIR [SHIM_OPTIONS_JSON]
# FLASH_DIR holds what the board's flash would (main.py, picolink/, config.json) and is
# the working directory, so the files the agent writes land on disk. SHIM_DIR stands in
# for the board's `machine` and `network`; everything else (socket, select, asyncio, tls,
# hashlib, json, deflate) is MicroPython's own. Lines on stdin are read inside asyncio and
# passed to machine._apply() (inputs, ADC, sync); {"mem":true} prints the heap the agent
# keeps as "@mem {...}". machine.reset() and deep sleep end the process with exit code 3
# and 4; the end of stdin (the test is done with this board) with 0.
import sys

flash = sys.argv[1]
# The flash first (main.py, picolink), then the stand-ins, then the interpreter's frozen
# modules (asyncio). The flash is the working directory, named '' as on a board, so the
# agent's modules carry the short file names a board gives them ('picolink/app.py').
sys.path[:] = ['', sys.argv[2], '.frozen']

import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402

options = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
os.chdir(flash)

# What a board has in ROM or as C modules costs its heap nothing: import it all before the
# baseline, so the figure {"mem":true} reports is the agent's own.
import asyncio  # noqa: E402
import asyncio.event  # noqa: E402  (loaded by asyncio on first use of Event/ThreadSafeFlag)
import binascii  # noqa: E402
import collections  # noqa: E402
import deflate  # noqa: E402
import hashlib  # noqa: E402
import io  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import select  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402
import tls  # noqa: E402

import machine  # noqa: E402
import network  # noqa: E402


def _exit(code):
    # SystemExit is no Exception: neither the agent nor asyncio's task loop catches it, so
    # it ends the interpreter with this exit code, as a reset ends everything on a board.
    raise SystemExit(code)


machine._exit = _exit
network._FAILS = options.get('wifi_fails', 0)


def _peername(sockaddr):
    """(host, port) from the raw sockaddr bytes the unix port gives for "peername"
    (rp2 gives the tuple): family (2 bytes), port (big-endian), IPv4 address."""
    if isinstance(sockaddr, (bytes, bytearray)) and len(sockaddr) >= 8:
        return ('%d.%d.%d.%d' % tuple(sockaddr[4:8]), sockaddr[2] << 8 | sockaddr[3])
    return sockaddr


_get_extra_info = asyncio.StreamReader.get_extra_info


def _extra_info(self, name):
    value = _get_extra_info(self, name)
    return _peername(value) if name == 'peername' else value


asyncio.StreamReader.get_extra_info = _extra_info


def _mem():
    gc.collect()
    gc.collect()
    a = gc.mem_alloc()
    print('@mem {"alloc": %d, "free": %d, "baseline": %d, "agent": %d}' % (a, gc.mem_free(), _baseline, a - _baseline))


async def _read_stdin():
    stdin = asyncio.StreamReader(sys.stdin)
    while True:
        line = await stdin.readline()
        if not line:
            _exit(0)  # the test closed our stdin: it is done with this board
        if isinstance(line, bytes):
            line = line.decode()
        if not line.strip():
            continue
        if json.loads(line).get('mem'):
            _mem()
        else:
            machine._apply(line)


async def _boot():
    import main
    await main.start()


# The runner's own code and its stdin task exist before the baseline: a board has neither,
# so the figure {"mem":true} reports is the agent's alone.
asyncio.create_task(_read_stdin())
_baseline = 0
gc.collect()
_baseline = gc.mem_alloc()
asyncio.run(_boot())
