# Dial-home (docs/protocol.md#dial-home): the agent connects out to the hub, says hello with
# its id and token, sets its clock from the welcome, then serves the hub's requests over
# that connection as it serves any client (same actions, order, events, failsafe). It pings
# after heartbeat_ms of silence and closes the link after three times that. Several hubs
# are dialled in the order config.json lists them, _PAUSE_MS apart, until one welcomes the
# device; each round, after a lost link as after a failed round, starts from the first.
# Before a round it waits floor(random x min(60 s, 1 s x 2^n)) ms, n counting rounds that
# got no welcome since the last welcome, and it logs why each attempt failed. With hub_tls
# every hub's certificate is pinned inside the TLS handshake (pin()). Imported only when
# config.json names a hub.
import random
import time

from picolink import actions, proto
from picolink.errors import PicolinkError
from picolink.jsontext import is_num
from picolink.rt import set_clock, sleep_ms, wait_for_ms
from picolink.session import Session

_TIMEOUT_MS = 10000
# Between two hubs of one round: the next is dialled soon, but not in a tight loop.
_PAUSE_MS = 250
# Every code of docs/errors.md: an error answer with another code is reported as
# PL_ERR_BAD_RESPONSE, as a receiver treats codes it does not know.
CODES = ('FRAME_TOO_LARGE BAD_UTF8 BAD_JSON NOT_OBJECT JSON_TOO_COMPLEX UNKNOWN_ACTION MISSING_FIELD UNKNOWN_FIELD BAD_TYPE '
         'OUT_OF_RANGE FIELD_CONFLICT NO_SUCH_PIN PIN_NOT_SETUP PIN_MODE UPDATE_HASH UPDATE_FILE BUSY INTERNAL '
         'IDLE_TIMEOUT SLOW_CONSUMER TOO_MANY_CLIENTS TIMEOUT CONNECTION_CLOSED CONNECT_FAILED BAD_URL '
         'BAD_RESPONSE NOT_SUPPORTED TLS_FINGERPRINT_MISMATCH TLS_HANDSHAKE TELEMETRY_MALFORMED TELEMETRY_BAD_MAC '
         'UNAUTHORIZED HOST_NOT_ALLOWED CSRF UNKNOWN_DEVICE DEVICE_OFFLINE DEVICE_NO_COMMANDS TELEMETRY_REPLAY RATE_LIMITED CONFIG NOT_FOUND DEVICE_EXISTS '
         'LISTEN_FAILED '
         'MESSAGE_TOO_LARGE USAGE').split()


def hello(device, token, capabilities, boot, firmware):
    """The hello frame (bytes): id "d1", as the TypeScript runtime sends it."""
    fields = [('id', 'd1'), ('action', 'hello'), ('device', device)]
    if token:
        fields.append(('token', token))
    fields += [('protocol', 1), ('firmware', firmware), ('capabilities', capabilities), ('boot', boot)]
    return proto.event(fields)


def read_welcome(r):
    """(server_time, heartbeat_ms, config) from the hub's answer to the hello; an error
    answer raises its code (PL_ERR_UNAUTHORIZED, PL_ERR_UNKNOWN_DEVICE, ...)."""
    if r.get('ok') is not True:
        code = r.get('code')
        if not isinstance(code, str) or code[7:] not in CODES or code[:7] != 'PL_ERR_':
            code = 'PL_ERR_BAD_RESPONSE'
        msg = r.get('error')
        raise PicolinkError(code, msg if isinstance(msg, str) else 'the hub refused the hello without saying why')
    t = r.get('server_time')
    hb = r.get('heartbeat_ms')
    config = r.get('config')
    if not is_num(t) or t < 0:
        raise _bad('"server_time" must be Unix ms')
    if type(hb) is not int or hb < 1:
        raise _bad('"heartbeat_ms" must be a positive integer')
    if not isinstance(config, dict):
        raise _bad('"config" must be an object')
    return t, hb, config


def _bad(detail):
    return PicolinkError('PL_ERR_BAD_RESPONSE', "the hub's welcome is malformed: " + detail)


def delay_ms(attempt, rnd, base=1000, cap=60000):
    """The wait before reconnect attempt `attempt` (full jitter, capped)."""
    return int(min(max(rnd, 0), 1) * min(cap, base * 2 ** min(max(0, attempt), 52)))


def pin(ctx, fingerprint):
    """Makes the TLS handshake refuse a hub whose certificate's SHA-256 is not `fingerprint`
    (config.hub_link sets CERT_OPTIONAL, under which mbedtls calls verify_callback and ends
    the handshake on a non-zero answer). A board's TLS keeps no peer certificate to check
    afterwards, and MicroPython runs the handshake inside the first write: refused there, the
    hello and its token are never encrypted, let alone sent. Returns a list whose item 0 is
    the fingerprint the hub last presented (None until one did)."""
    import binascii
    import hashlib
    seen = [None]

    def check(cert, depth):
        # Called for each certificate of the hub's chain; its own is at depth 0. It runs
        # inside mbedtls, so it must not raise.
        if depth:
            return 0
        try:
            seen[0] = binascii.hexlify(hashlib.sha256(cert).digest()).decode()
        except Exception:
            seen[0] = '?'
        return 0 if seen[0] == fingerprint else -1

    ctx.verify_callback = check
    return seen


async def run(dev, net, ctx, fingerprint, hubs):
    """Keeps the device connected to one of `hubs`, [(host, port), ...] in the order to
    dial them, for as long as the agent runs."""
    seen = pin(ctx, fingerprint) if fingerprint else [None]
    failures = 0
    wait = 0
    while True:
        await sleep_ms(wait)
        for i in range(len(hubs)):
            host, port = hubs[i]
            why = await _attempt(dev, net, host, port, ctx, fingerprint, seen)
            if not why:
                # Welcomed, served, and the link ended: the next round starts from the first.
                break
            if i + 1 < len(hubs):
                dev.log('hub %s:%d: %s; trying the next hub in %d ms' % (host, port, why, _PAUSE_MS))
                await sleep_ms(_PAUSE_MS)
        failures = failures + 1 if why else 0
        wait = delay_ms(failures, random.random(), dev.cfg['hub_backoff_ms'])
        if why:
            dev.log('hub %s:%d: %s; retrying in %d ms' % (host, port, why, wait))


async def _attempt(dev, net, host, port, ctx, fingerprint, seen):
    # One hub dialled (once the device runs and has WiFi), and served if it welcomes the
    # device: None once that link ended, else why it failed, in words.
    from picolink.neterr import reason
    while dev.state != 'running' or not dev.wifi_up:
        await sleep_ms(50)
    seen[0] = None
    why = None
    try:
        await _link(dev, net, host, port, ctx)
    except PicolinkError as e:
        # The hub's refusal or a malformed welcome: its code, to look up in docs/errors.md.
        why = '%s (%s)' % (e.msg, e.code)
    except Exception as e:
        why = reason(e, ctx is not None)
    if seen[0] not in (None, fingerprint):
        why = "the hub's certificate is not the one in hub_fingerprint (it has SHA-256 %s); check the hub's certificate or the fingerprint (PL_ERR_TLS_FINGERPRINT_MISMATCH)" % seen[0]
    return why


async def _link(dev, net, host, port, ctx):
    # One connection: hello, welcome, then serving until it ends. Raises when it ended
    # before the welcome.
    reader, writer = await wait_for_ms(net.open_connection(host, port, ctx), _TIMEOUT_MS)
    try:
        dev.last_id += 1
        s = Session(dev, reader, writer, dev.last_id, ctx is not None, 'hub')
        s.peer = '%s:%d' % (host, port)
        caps = list(proto.CAPABILITIES) + (['tls'] if ctx is not None else [])
        sent = time.ticks_ms()
        writer.write(hello(dev.device_id, dev.cfg['token'], caps, dev.boot, actions.VERSION))
        # On MicroPython a TLS handshake (and the pin's check) happens here.
        await wait_for_ms(writer.drain(), _TIMEOUT_MS)
        items = []
        answer = None
        while answer is None:
            data = await wait_for_ms(reader.read(1024), _TIMEOUT_MS)
            if not data:
                raise PicolinkError('PL_ERR_CONNECTION_CLOSED', 'the hub closed the connection before its welcome')
            for item in s.decoder.push(data):
                if answer is None:
                    answer = proto.parse_frame(item) if isinstance(item, bytes) else {}
                else:
                    items.append(item)
        t, hb, _ = read_welcome(answer)
    except Exception:
        writer.close()
        raise
    # The hub's clock, plus half the hello's round trip.
    set_clock(t + time.ticks_diff(time.ticks_ms(), sent) // 2)
    dev.log('hub %s:%d: welcome (heartbeat %d ms)' % (host, port, hb))
    s.heartbeat = hb
    s.limits = (0, 3 * hb)
    s.flags |= 2  # served: welcomed: never evicted to make room for a client
    dev.sessions.append(s)
    await s.run(items)
    dev.log('hub %s:%d: link closed; dialing again' % (host, port))
