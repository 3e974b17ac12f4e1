# Telemetry over MQTT (config.json "telemetry": {"mqtt": {...}}), for a board that can
# reach a broker but not the hub: a minimal MQTT 3.1.1 client that only publishes.
# CONNECT (clean session, optional username and password), PUBLISH at QoS 0, PINGREQ
# when the link has been quiet for half the keepalive, and reconnecting with full-jitter
# backoff (1 s doubling to 60 s) whenever the broker refuses, closes, or misses two pings.
# A Publisher stands in for telemetry's UDP socket: send() publishes the same signed
# datagram bytes on <prefix>/<device>/up/telemetry; recv() has no acks to give, since MQTT
# has no way back to the board, so start.py turns resending off. send() never waits: a
# reading is dropped while the broker is unreachable or still taking the last one, as a
# lost UDP datagram would be. Imported only when configured.
import asyncio
import random

from picolink.errors import PicolinkError
from picolink.rt import sleep_ms, use, wait_for_ms

_PING = b'\xc0\x00'


def field(s):
    """An MQTT UTF-8 string: 2-byte big-endian length, then the bytes."""
    b = s.encode()
    return bytes((len(b) >> 8, len(b) & 255)) + b


def packet(kind, body):
    """A control packet: type and flags byte, remaining length (7 bits a byte), body."""
    n = len(body)
    b = bytearray((kind,))
    while True:
        b.append(n & 127 | (128 if n > 127 else 0))
        n >>= 7
        if not n:
            return bytes(b) + body


def connect(client, keepalive, user, pwd):
    """CONNECT: protocol "MQTT" level 4, clean session, username and password if set."""
    flags = 2 | (128 if user else 0) | (64 if pwd else 0)
    body = field('MQTT') + bytes((4, flags, keepalive >> 8, keepalive & 255)) + field(client)
    if user:
        body += field(user)
    if pwd:
        body += field(pwd)
    return packet(0x10, body)


def _bad(detail):
    return PicolinkError('PL_ERR_CONFIG', 'config.json: "telemetry": "mqtt" ' + detail)


def _gone(why):
    # Read back as `why` by neterr.reason() for the log.
    return PicolinkError('PL_ERR_CONNECTION_CLOSED', why)


class Publisher:
    """Publishes to the broker in `cfg` (config.json's "telemetry"."mqtt"):
    {"broker": "HOST[:PORT]" (port 1883), "username": "", "password": "",
    "prefix": "picolink", "keepalive_s": 60, "client_id": the device id}."""

    _w = None
    _busy = False

    def __init__(self, dev, net, cfg):
        if not isinstance(cfg, dict) or not isinstance(cfg.get('broker'), str):
            raise _bad('needs "broker": "HOST[:PORT]"')
        host = cfg['broker']
        port = 1883
        n = host.rfind(':')
        if n >= 0:
            try:
                port = int(host[n + 1:])
            except ValueError:
                port = 0
            host = host[:n]
        ka = cfg.get('keepalive_s', 60)
        if not host or not 0 < port < 65536 or type(ka) is not int or not 0 < ka < 65536:
            raise _bad('must be {"broker": "HOST[:PORT]", "keepalive_s": 1-65535, ...}')
        self._dev = dev
        self._net = net
        self.target = (host, port)
        self.interval = ka * 500  # ms of silence before a ping
        self._hello = connect(cfg.get('client_id') or dev.device_id, ka,
                              cfg.get('username', ''), cfg.get('password', ''))
        self.topic = field('%s/%s/up/telemetry' % (cfg.get('prefix', 'picolink'), dev.device_id))

    def send(self, data):
        self._put(packet(0x30, self.topic + data))

    def recv(self):
        return None

    def _put(self, data):
        # One packet on its way at a time, so a stalled broker cannot fill the heap.
        w = self._w
        if w is None or self._busy:
            return
        self._busy = True
        asyncio.create_task(self._drain(w, data))

    async def _drain(self, w, data):
        try:
            w.write(data)
            await w.drain()
        except Exception:
            pass  # the link's reader sees the closed connection and reconnects
        self._busy = False

    async def run(self):
        log = self._dev.log
        host, port = self.target
        n = 0
        while True:
            w = None
            try:
                r, w = await wait_for_ms(self._net.open_connection(host, port), 10000)
                w.write(self._hello)
                await w.drain()
                b = await wait_for_ms(r.readexactly(4), 10000)
                if b[0] != 0x20 or b[3]:
                    # CONNACK's return code: 4 bad username or password, 5 not authorised.
                    raise _gone('refused by the broker (CONNACK code %d)' % b[3])
                log('mqtt %s:%d: connected' % (host, port))
                self._w = w
                n = 0
                pings = 0
                while True:
                    try:
                        b = await wait_for_ms(r.read(64), self.interval)
                    except asyncio.TimeoutError:
                        if pings > 1:
                            raise _gone('the broker answers no pings')
                        pings += 1
                        self._put(_PING)
                        continue
                    if not b:
                        raise _gone('connection closed by the broker')
                    pings = 0
            except Exception as e:
                why = use('neterr', 'reason', e)
            self._w = None
            self._busy = False
            if w is not None:
                try:
                    w.close()
                    await w.wait_closed()  # on MicroPython this closes the socket
                except Exception:
                    pass
            n += 1
            wait = int(random.random() * min(60000, 1000 << min(n, 6)))
            log('mqtt %s:%d: %s; retrying in %d ms' % (host, port, why, wait))
            await sleep_ms(wait)
