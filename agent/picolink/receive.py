# Telemetry datagrams and acks as a receiver checks them (docs/protocol.md#telemetry): the
# TypeScript codec's parseTelemetry and parseTelemetryAck. The agent itself only takes
# acks (datagram.take_ack); this is for receivers written in Python, and the shared test
# vectors check it.
from picolink.datagram import mac_ok, signed
from picolink.errors import PicolinkError
from picolink.jsontext import is_num, loads_peer, quote

_SAFE_INT = 9007199254740991


def encode_ack(device, boot, seq, mac=None):
    """The ack of datagram `seq` (bytes), signed with MacKey `mac` when given."""
    return signed('{"v":1,"device":%s,"boot":%d,"ack":%d}' % (quote(device), boot, seq), mac)


def _uint(v, hi=_SAFE_INT):
    return is_num(v) and v == int(v) and 0 <= v <= hi


def id_ok(s, extra):
    """1-64 letters, digits and the characters in `extra`."""
    if not isinstance(s, str) or not 0 < len(s) <= 64:
        return False
    for c in s:
        if not ('a' <= c <= 'z' or 'A' <= c <= 'Z' or '0' <= c <= '9' or c in extra):
            return False
    return True


def _parse(b, macs, datagram):
    # `macs`: device id -> MacKey, the keys this receiver holds. Returns (message without
    # mac, authenticated); no key for the device means accepted unauthenticated.
    try:
        o = loads_peer(b) if len(b) <= 4096 else None
    except PicolinkError:
        o = None
    bad = None
    if not isinstance(o, dict):
        bad = 'not a JSON object of at most 4096 bytes'
    else:
        allowed = ('v', 'device', 'boot', 'seq', 't', 'time', 'readings', 'ack', 'mac') if datagram else ('v', 'device', 'boot', 'ack', 'mac')
        for k in o:
            if k not in allowed:
                bad = 'unknown field "%s"' % k
        r = o.get('readings')
        if bad is None and not (is_num(o.get('v')) and o['v'] == 1 and id_ok(o.get('device'), '_.-') and _uint(o.get('boot'), 4294967295)):
            bad = '"v" must be 1, "device" an id, "boot" an integer 0-4294967295'
        elif bad is None and not datagram and not _uint(o.get('ack')):
            bad = '"ack" must be a sequence number'
        elif bad is None and datagram and not (_uint(o.get('seq')) and _uint(o.get('t')) and ('time' not in o or _uint(o['time']))
                                               and type(o.get('ack', True)) is bool):
            bad = '"seq", "t" and "time" must be non-negative integers, "ack" true or false'
        elif bad is None and datagram:
            if not isinstance(r, dict) or not 0 < len(r) <= 64:
                bad = '"readings" must be an object of 1-64 numbers'
            else:
                for name, v in r.items():
                    if not id_ok(name, '_.:-') or not is_num(v):
                        bad = 'bad reading %s' % quote(name[:64])
    if bad is not None:
        raise PicolinkError('PL_ERR_TELEMETRY_MALFORMED', 'malformed telemetry datagram: ' + bad)
    device = o['device']
    key = macs.get(device) if macs else None
    o.pop('mac', None)
    if key is None:
        return o, False
    if not mac_ok(b, key):
        raise PicolinkError('PL_ERR_TELEMETRY_BAD_MAC', 'telemetry from "%s" has a missing or wrong MAC; check the device key' % device)
    return o, True


def parse(b, macs=None):
    """A received datagram (bytes) -> (message, authenticated)."""
    return _parse(b, macs, True)


def parse_ack(b, macs=None):
    """A received ack (bytes) -> (message, authenticated)."""
    return _parse(b, macs, False)
