# Telemetry datagrams and acks (docs/protocol.md#telemetry), the sender's side: encoding,
# HMAC-SHA256 over the exact unsigned bytes with ,"mac":"<hex>" inserted before the final
# }, and taking an ack (a receiver makes one with receive.encode_ack()). Pure, like jsontext.py; imported only when telemetry is configured.
# A receiver's full validation is in receive.py.
import binascii
import hashlib

from micropython import const

from picolink.jsontext import is_num, loads_peer, num, quote

_SUFFIX = const(74)  # len(',"mac":"') + 64 + len('"}')
_SAFE_INT = 9007199254740991


class MacKey:
    """HMAC-SHA256 (RFC 2104) with one key; the pads are computed once."""

    def __init__(self, key):
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        # The pads, by a loop: on a board a comprehension is a function of its own.
        self._i = bytearray(key + bytes(64 - len(key)))
        self._o = bytearray(self._i)
        for n in range(64):
            self._i[n] ^= 0x36
            self._o[n] ^= 0x5C

    def hex(self, msg):
        inner = hashlib.sha256(self._i)
        inner.update(msg)
        outer = hashlib.sha256(self._o)
        outer.update(inner.digest())
        return binascii.hexlify(outer.digest()).decode()


def signed(text, mac):
    """UTF-8 bytes of the JSON object `text`, with the HMAC `mac` (a MacKey or None) of
    those bytes added as its last field."""
    b = text.encode()
    return b if mac is None else b[:-1] + b',"mac":"' + mac.hex(b).encode() + b'"}'


def readings(pairs):
    """Readings ((name, number) pairs) as a datagram's "readings" object, in JSON: the
    form the sender keeps them in until they are acknowledged (less heap than the pairs)."""
    out = []
    for n, v in pairs:
        out.append(quote(n) + ':' + num(v))
    return '{%s}' % ','.join(out)


def encode(device, boot, seq, t, readings, time_ms=None, ack=None, mac=None):
    """A datagram (bytes), fields in protocol order; `readings` as readings() makes it."""
    s = '{"v":1,"device":%s,"boot":%d,"seq":%d,"t":%d' % (quote(device), boot, seq, t)
    if time_ms is not None:
        s += ',"time":%d' % time_ms
    s += ',"readings":' + readings
    if ack is not None:
        s += ',"ack":' + ('true' if ack else 'false')
    return signed(s + '}', mac)


def mac_ok(b, key):
    """True when `b` ends with ,"mac":"<64 lower-case hex>"} and that is key's HMAC of the
    bytes before it (with their closing brace). Compared in constant time."""
    n = len(b)
    got = b[n - 66:n - 2]
    if not (n >= _SUFFIX and b[n - _SUFFIX:n - 66] == b',"mac":"' and b[n - 2:] == b'"}' and got == got.lower()):
        return False
    want = key.hex(b[:n - _SUFFIX] + b'}').encode()
    diff = 0
    for i in range(64):
        diff |= got[i] ^ want[i]
    return diff == 0


def take_ack(b, device, boot, key):
    """The sequence number an ack (bytes) acknowledges, or None when it is not a valid ack
    for this device and boot (signed with `key`, when there is one)."""
    try:
        o = loads_peer(b) if len(b) <= 4096 else None
    except Exception:
        return None
    if not isinstance(o, dict) or o.get('device') != device or o.get('boot') != boot or not (is_num(o.get('v')) and o['v'] == 1):
        return None
    for k in o:
        if k not in ('v', 'device', 'boot', 'ack', 'mac'):
            return None
    seq = o.get('ack')
    if not (is_num(seq) and seq == int(seq) and 0 <= seq <= _SAFE_INT) or (key is not None and not mac_ok(b, key)):
        return None
    return int(seq)
