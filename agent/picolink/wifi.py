# Joining the WiFi network, with retry and exponential backoff. Loaded only while joining.
import random
import time

from picolink.rt import sleep_ms

# network.WLAN.status() values below zero are failures that waiting will not fix.
_STATUS = {-3: 'wrong password', -2: 'network not found', -1: 'connection failed'}


async def connect(wlan, ssid, pwd, log, timeout_ms=20000, backoff_ms=1000, max_backoff_ms=30000):
    """Tries until joined. Each attempt waits up to timeout_ms; between attempts the wait
    doubles from backoff_ms up to max_backoff_ms, with up to 25 % random jitter so many
    boards restarting together do not retry in step. Returns the number of attempts."""
    delay = backoff_ms
    attempt = 0
    while True:
        attempt += 1
        wlan.active(True)
        wlan.connect(ssid, pwd)
        start = time.ticks_ms()
        status = 0
        while time.ticks_diff(time.ticks_ms(), start) < timeout_ms:
            if wlan.isconnected():
                return attempt
            status = wlan.status()
            if status < 0:
                break
            await sleep_ms(100)
        log('WiFi "%s": attempt %d failed (%s); retrying in %d ms' % (
            ssid, attempt, _STATUS.get(status, 'timed out'), delay))
        wlan.disconnect()
        await sleep_ms(delay + random.getrandbits(16) * delay // 262144)
        delay = min(delay * 2, max_backoff_ms)


async def join(dev):
    """Joins the configured network, then sets the clock by NTP if it is not set."""
    cfg = dev.cfg
    wlan = dev.wlan
    n = await connect(wlan, cfg['ssid'], cfg['pwd'], dev.log, cfg['wifi_timeout_ms'], cfg['wifi_backoff_ms'])
    dev.log('WiFi "%s" joined after %d attempt(s); address %s' % (cfg['ssid'], n, wlan.ifconfig()[0]))
    if cfg['ntp'] and dev.unix_ms() is None:
        try:
            import ntptime
            ntptime.settime()
        except Exception as e:
            dev.log('clock not set by NTP: %s' % e)
