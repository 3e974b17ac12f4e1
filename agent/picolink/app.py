# The agent: the device state every connection shares (pins, clock, boot id, restart,
# sleep, update), the listener, and the background tasks (input changes, status LED,
# WiFi, telemetry, watchdog). main.py starts it with main().
import gc
import time

import machine

from picolink.rt import release, sleep_ms, unix_ms, unix_ns, use
from picolink.session import Session


def log(msg):
    print('picolink: ' + msg)


class Device:
    # Defaults as class attributes: set on the instance only when they change (each
    # instance attribute costs a board heap).
    state = 'running'
    telemetry = None
    log = staticmethod(log)
    unix_ms = staticmethod(unix_ms)
    unix_ns = staticmethod(unix_ns)
    last_id = 0
    # Reset, sleep and update (power.py): when a restart is due (ticks), an update running.
    restart_at = None
    updating = False
    secure = False
    # The rest is set once, by start.py (code that runs once stays out of the heap): cfg,
    # device_id, boot, last_update, wlan, board_name, flag, hw, pins, sessions, wifi_up,
    # _ticks and _uptime.

    def uptime(self):
        """ms since start. ticks_ms wraps every 2**30 ms (about 12 days) and ticks_diff sees
        only half of that, so elapsed ticks are added up on every call; the agent's own
        tasks call this far more often than every six days."""
        now = time.ticks_ms()
        self._uptime += time.ticks_diff(now, self._ticks)
        self._ticks = now
        return self._uptime

    def led_state(self):
        if self.pins.uses_led():
            return None  # a client drives "LED" itself
        if not self.wifi_up:
            return 'connecting'
        return 'client' if self.sessions else 'idle'

    # ---- connections (docs/protocol.md#connections)

    def on_client(self, reader, writer):
        """The listener's handler: the coroutine that serves a new connection."""
        n = self.cfg['max_clients']
        if self.state == 'running' and len(self.sessions) >= n:
            # Full: crowd.py, loaded for the moment, makes room if it can.
            use('crowd', 'evict_one', self, n)
        if self.state == 'running' and len(self.sessions) < n:
            self.last_id += 1
            s = Session(self, reader, writer, self.last_id, self.secure)
            self.sessions.append(s)
            return s.run()
        return use('crowd', 'refuse', self, writer, n)

    def detach(self, s):
        """A connection ended: the failsafe applies to the pins it owned, its watches end."""
        if s in self.sessions:
            self.sessions.remove(s)
        self.pins.release_owner(s.id)
        self.pins.unwatch_all(s)

    async def inputs(self):
        while True:
            await self.flag.wait()
            self.flag.clear()
            for pin, level in self.hw.changes():
                self.pins.input_changed(pin, level)

    async def idle_check(self):
        # One task for every connection's hello and idle timeouts, checked a few times
        # per timeout: cheaper on a board than a timer per read.
        cfg = self.cfg
        period = 1000
        for t in (cfg['idle_timeout_ms'], cfg['hello_timeout_ms'], cfg['controller_timeout_ms']):
            if t:
                period = min(period, t // 5)
        period = max(20, period)
        while True:
            for s in self.sessions:
                # A hub link's heartbeat may be shorter than the configured timeouts.
                if s.heartbeat and s.heartbeat // 5 < period:
                    period = max(20, s.heartbeat // 5)
            await sleep_ms(period)
            # Also keeps uptime() counting past the wrap of ticks_ms (see uptime()).
            now = time.ticks_ms()
            self.uptime()
            for s in list(self.sessions):
                s.check_idle(now)


async def main(raw_config, net=None, on_started=None):
    """Runs the agent until the board restarts. `net` is the network edge (picolink.net
    by default); on_started() is called once connections are accepted."""
    # Start-up code (start.py, config.py) runs once: let go as soon as it is done, so its
    # heap comes back. This task then checks the connections' timeouts for good.
    dev = await use('start', 'run', raw_config, net, on_started)
    gc.collect()
    await dev.idle_check()


async def watchdog(ms):
    wdt = machine.WDT(timeout=ms)
    while True:
        wdt.feed()
        await sleep_ms(ms // 4)


async def keep_wifi(dev):
    # Joins, and joins again whenever the link drops; wifi.py is loaded only meanwhile.
    while True:
        if not dev.wlan.isconnected():
            dev.wifi_up = False
            from picolink import wifi
            await wifi.join(dev)
            del wifi
            release('wifi')
            dev.wifi_up = True
        dev.uptime()
        await sleep_ms(5000)
