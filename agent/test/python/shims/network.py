# Test stand-in for MicroPython's `network` on a Pico W: a WLAN that joins at once, or
# after _FAILS failed attempts (set by the host) to exercise the agent's retry.
STA_IF = 0
AP_IF = 1
STAT_IDLE = 0
STAT_CONNECTING = 1
STAT_GOT_IP = 3
STAT_NO_AP_FOUND = -2

_FAILS = 0


class WLAN:
    def __init__(self, interface=STA_IF):
        self._active = False
        self._status = STAT_IDLE
        self.attempts = 0

    def active(self, on=None):
        if on is None:
            return self._active
        self._active = bool(on)

    def connect(self, ssid, key=None):
        global _FAILS
        self.attempts += 1
        print('@hw {"op": "wifi_connect", "ssid": "%s", "attempt": %d}' % (ssid, self.attempts))
        if _FAILS > 0:
            _FAILS -= 1
            self._status = STAT_NO_AP_FOUND
        else:
            self._status = STAT_GOT_IP

    def disconnect(self):
        self._status = STAT_IDLE

    def isconnected(self):
        return self._status == STAT_GOT_IP

    def status(self, param=None):
        if param == 'rssi':
            return -52
        return self._status

    def ifconfig(self):
        return ('127.0.0.1', '255.0.0.0', '127.0.0.1', '127.0.0.1')

    def config(self, *args, **kwargs):
        return None
