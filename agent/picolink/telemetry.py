# UDP telemetry (docs/protocol.md#telemetry): every interval one datagram with the
# configured readings, the device id, the boot id and a sequence number, signed with
# HMAC-SHA256 when a key is set. With acks on, datagrams wait in a bounded buffer and are
# resent unchanged until acknowledged (kept as what they were made from, and made again,
# byte for byte, on a resend: a fifth of a signed datagram's heap). Sending never waits on the network, so telemetry
# cannot hold up the control connections. Mirrors packages/device/src/telemetry/.
import time

from micropython import const

from picolink import datagram
from picolink.actions import celsius, round_js
from picolink.rt import sleep_ms, use


_N = const(5)


class Telemetry:
    """Sends `sensors` ((name, channel or pin) pairs) to host:port every `interval` ms,
    signed with MacKey `mac` (or None); with `ack`, keeps up to `max_unacked` datagrams
    and resends them every `resend` ms until acknowledged. start.py reads the config."""

    # Acks ignored so far; set only once one is (each instance attribute costs a board heap).
    _ignored = 0

    def __init__(self, dev, net, host, port, sensors, interval, mac, ack, max_unacked, resend):
        self._dev = dev
        self._net = net
        self.target = (host, port)
        self.sensors = sensors
        self.interval = interval
        self._mac = mac
        self._ack = ack
        self._max = max_unacked
        self._resend = resend
        self._sock = None
        self._seq = 0
        # Unacknowledged datagrams, oldest first, as flat groups of _N: seq, ticks when sent,
        # uptime, Unix time, readings as JSON text (one list instead of one per datagram).
        self.pending = []

    async def run(self):
        while True:
            if self._sock is None:
                try:
                    self._sock = self._net.udp(*self.target)
                except OSError as e:
                    self._dev.log(use('fault', 'line', 'udp', self.target + (e,)))
            if self._sock is not None and self._dev.state == 'running':
                self.tick()
            await sleep_ms(self.interval)

    def tick(self):
        """One period: take acks, resend what is overdue, send a new reading."""
        dev = self._dev
        sock = self._sock
        while True:
            data = sock.recv()
            if data is None:
                break
            seq = datagram.take_ack(data, dev.device_id, dev.boot, self._mac)
            if seq is None:
                # Logged at 1, 2, 4, 8... so a flood of forgeries cannot flood the console.
                self._ignored += 1
                if self._ignored & (self._ignored - 1) == 0:
                    dev.log(use('fault', 'line', 'acks', self._ignored))
            else:
                p = self.pending
                for i in range(0, len(p), _N):
                    if p[i] == seq:
                        del p[i:i + _N]
                        break
        now = time.ticks_ms()
        p = self.pending
        for i in range(0, len(p), _N):
            if time.ticks_diff(now, p[i + 1]) >= self._resend:
                p[i + 1] = now
                sock.send(self._encode(*p[i:i + _N]))
        readings = []
        for name, arg in self.sensors:
            if name[0] == 'p':
                v = dev.pins.peek(arg)
            else:
                volts = dev.hw.read_adc(arg) * 3.3 / 65535
                v = round_js(celsius(volts), 2) if name[0] == 't' else round_js(volts, 4)
            if v is not None:
                readings.append((name, v))
        if not readings:
            return
        entry = (self._seq, now, dev.uptime(), dev.unix_ms(), datagram.readings(readings))
        sock.send(self._encode(*entry))
        if self._ack:
            p += entry
            if len(p) > _N * self._max:
                del p[:_N]
        self._seq += 1

    def _encode(self, seq, _, t, time_ms, readings):
        dev = self._dev
        return datagram.encode(dev.device_id, dev.boot, seq, t, readings, time_ms,
                               True if self._ack else None, self._mac)
