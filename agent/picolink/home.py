# Dial-home (docs/protocol.md#dial-home): the agent connects out to the hub, says hello with
# its id and token, sets its clock from the welcome, then serves the hub's requests over
# that connection as it serves any client (same actions, order, events, failsafe). It pings
# after heartbeat_ms of silence and closes the link after three times that; when the link
# ends it dials again after floor(random x min(60 s, 1 s x 2^n)) ms, n counting failures
# since the last welcome. Imported only when config.json names a hub.
import random
import time

from picolink import proto
from picolink.rt import set_clock, sleep_ms, wait_for_ms
from picolink.session import Session

PORT = 12400
_TIMEOUT_MS = 10000
# Every code of docs/errors.md: an error answer with another code is reported as
# PL_ERR_BAD_RESPONSE, as a receiver treats codes it does not know.
CODES = ('FRAME_TOO_LARGE BAD_UTF8 BAD_JSON NOT_OBJECT JSON_TOO_COMPLEX UNKNOWN_ACTION MISSING_FIELD UNKNOWN_FIELD BAD_TYPE '
         'OUT_OF_RANGE FIELD_CONFLICT NO_SUCH_PIN PIN_NOT_SETUP PIN_MODE UPDATE_HASH UPDATE_FILE BUSY INTERNAL '
         'IDLE_TIMEOUT SLOW_CONSUMER TOO_MANY_CLIENTS TIMEOUT CONNECTION_CLOSED CONNECT_FAILED BAD_URL '
         'BAD_RESPONSE NOT_SUPPORTED TLS_FINGERPRINT_MISMATCH TLS_HANDSHAKE TELEMETRY_MALFORMED TELEMETRY_BAD_MAC '
         'UNAUTHORIZED HOST_NOT_ALLOWED CSRF UNKNOWN_DEVICE DEVICE_OFFLINE TELEMETRY_REPLAY RATE_LIMITED CONFIG NOT_FOUND DEVICE_EXISTS '
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
        raise proto.PicolinkError(code, msg if isinstance(msg, str) else 'the hub refused the hello without saying why')
    t = r.get('server_time')
    hb = r.get('heartbeat_ms')
    config = r.get('config')
    if not proto._is_num(t) or t < 0:
        raise _bad('"server_time" must be Unix ms')
    if type(hb) is not int or hb < 1:
        raise _bad('"heartbeat_ms" must be a positive integer')
    if not isinstance(config, dict):
        raise _bad('"config" must be an object')
    return t, hb, config


def _bad(detail):
    return proto.PicolinkError('PL_ERR_BAD_RESPONSE', "the hub's welcome is malformed: " + detail)


def delay_ms(attempt, rnd, base=1000, cap=60000):
    """The wait before reconnect attempt `attempt` (full jitter, capped)."""
    return int(min(max(rnd, 0), 1) * min(cap, base * 2 ** min(max(0, attempt), 52)))


async def run(dev, net, ctx, fingerprint):
    """Keeps the device connected to its hub, for as long as the agent runs."""
    cfg = dev.cfg
    target = cfg['hub']
    colon = target.rfind(':')
    host = target[:colon] if colon > 0 else target
    port = int(target[colon + 1:]) if colon > 0 else PORT
    failures = 0
    first = True
    while True:
        if not first:
            await sleep_ms(delay_ms(failures, random.random(), cfg['hub_backoff_ms']))
        first = False
        while dev.state != 'running' or not dev.wifi_up:
            await sleep_ms(50)
        try:
            welcomed = await _link(dev, net, host, port, ctx, fingerprint)
        except proto.PicolinkError as e:
            # The hub's refusal or a failed check: its code, to look up in docs/errors.md.
            dev.log('hub %s:%d: %s (%s)' % (host, port, e.msg, e.code))
            welcomed = False
        except Exception as e:
            dev.log('hub %s:%d: %s' % (host, port, proto.to_error(e).msg))
            welcomed = False
        failures = 0 if welcomed else failures + 1


async def _link(dev, net, host, port, ctx, fingerprint):
    # One connection: hello, welcome, then serving until it ends. True when welcomed.
    reader, writer = await wait_for_ms(net.open_connection(host, port, ctx), _TIMEOUT_MS)
    if fingerprint and net.peer_fingerprint(writer) != fingerprint:
        writer.close()
        raise proto.PicolinkError('PL_ERR_TLS_FINGERPRINT_MISMATCH', "the hub's certificate is not the one in hub_fingerprint; check the hub's certificate or the fingerprint")
    dev.last_id += 1
    s = Session(dev, reader, writer, dev.last_id, ctx is not None, 'hub')
    s.peer = '%s:%d' % (host, port)
    caps = list(proto.CAPABILITIES) + (['tls'] if ctx is not None else [])
    sent = time.ticks_ms()
    writer.write(hello(dev.device_id, dev.cfg['token'], caps, dev.boot, dev.version))
    items = []
    answer = None
    try:
        while answer is None:
            data = await wait_for_ms(reader.read(1024), _TIMEOUT_MS)
            if not data:
                raise proto.PicolinkError('PL_ERR_CONNECTION_CLOSED', 'the hub closed the connection before its welcome')
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
    s.served = True  # welcomed: never evicted to make room for a client
    dev.sessions.append(s)
    await s.run(items)
    dev.log('hub %s:%d: link closed; dialing again' % (host, port))
    return True
