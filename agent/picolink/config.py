# Reading config.json (README "Configuration") and what is set up once at start: the TLS
# context, the boot id, the outcome of the last update. Imported at start and dropped
# again, so none of it stays in the heap.
import binascii
import json
import os

from picolink.errors import PicolinkError
from picolink.rt import use

DEFAULTS = {
    'ssid': '', 'pwd': '', 'device_id': '', 'host': '0.0.0.0', 'port': 12345,
    'tls_cert': '', 'tls_key': '', 'token': '', 'telemetry': None,
    'max_clients': 8, 'idle_timeout_ms': 60000, 'hello_timeout_ms': 10000, 'controller_timeout_ms': 8000,
    'max_frame_bytes': 16384, 'max_output_bytes': 16384, 'action_delay_ms': 1000,
    'watchdog_ms': 0, 'status_led': True, 'ntp': True, 'wifi_timeout_ms': 20000,
    'wifi_backoff_ms': 1000, 'crash_restart_ms': 10000,
    'hub': '', 'hub_tls': False, 'hub_fingerprint': '', 'hub_backoff_ms': 1000,
}


def _id_ok(s):
    if not isinstance(s, str) or not 0 < len(s) <= 64:
        return False
    for c in s:
        if not ('a' <= c <= 'z' or 'A' <= c <= 'Z' or '0' <= c <= '9' or c in '_.-'):
            return False
    return True


def load(raw):
    """config.json (parsed) with the defaults filled in; PL_ERR_CONFIG when unusable."""
    if raw is not None and not isinstance(raw, dict):
        raise PicolinkError('PL_ERR_CONFIG', 'config.json must hold one JSON object')
    cfg = dict(DEFAULTS)
    cfg.update(raw or {})
    for k, v in DEFAULTS.items():
        if type(v) is int and type(cfg[k]) is not int:
            raise PicolinkError('PL_ERR_CONFIG', 'config.json: "%s" must be a whole number, got %s' % (k, use('fault', 'describe', cfg[k])))
    if not cfg['device_id']:
        import machine  # here, not above: the codec tests read key_bytes() without it
        cfg['device_id'] = 'pico-' + ''.join(['%02x' % b for b in machine.unique_id()[-4:]])
    if not _id_ok(cfg['device_id']):
        raise PicolinkError('PL_ERR_CONFIG', 'config.json: "device_id" must be 1-64 letters, digits, "_", "-" or "."')
    if cfg['hub_tls'] and not cfg['hub_fingerprint']:
        raise PicolinkError('PL_ERR_CONFIG', 'config.json: "hub_tls" needs "hub_fingerprint", the SHA-256 fingerprint of the hub\'s certificate')
    t = cfg['telemetry']
    if t is not None and (not isinstance(t, dict) or ':' not in str(t.get('target', '')) and 'mqtt' not in t):
        raise PicolinkError('PL_ERR_CONFIG', 'config.json: "telemetry" needs "target": "HOST:PORT" (or "mqtt")')
    return cfg


def hubs(cfg):
    """config.json's "hub", one "HOST[:PORT]" or a list of them, as [(host, port), ...] in
    the order home.py dials them (port 12400 by default; an IPv6 address in brackets)."""
    h = cfg['hub']
    out = []
    for t in h if isinstance(h, list) else [h]:
        try:
            colon = t.rfind(':')
            port = int(t[colon + 1:]) if colon > 0 and t[-1] != ']' else 12400
            host = t[:colon] if colon > 0 and t[-1] != ']' else t
            if host[:1] == '[' and host[-1:] == ']':
                host = host[1:-1]
            elif ':' in host:
                host = ''
            if host and 0 < port < 65536:
                out.append((host, port))
                continue
        except (AttributeError, ValueError):
            pass
        raise PicolinkError('PL_ERR_CONFIG', 'config.json: "hub" must be "HOST[:PORT]" or a list of them, got %s' % use('fault', 'describe', t))
    return out


def tls_context(cfg):
    """A server context from the DER certificate and key, or None for plain TCP."""
    if not (cfg['tls_cert'] and cfg['tls_key']):
        return None
    # MicroPython 1.23+: the `tls` module; load_cert_chain takes the DER bytes.
    import tls
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
    with open(cfg['tls_cert'], 'rb') as f:
        cert = f.read()
    with open(cfg['tls_key'], 'rb') as f:
        key = f.read()
    ctx.load_cert_chain(cert, key)
    return ctx


def hub_link(cfg):
    """(TLS client context or None, certificate fingerprint as lower-case hex or '') for dial-home."""
    if not cfg['hub_tls']:
        return None, ''
    fp = cfg['hub_fingerprint'].strip()
    if fp[:7].lower() == 'sha256:':
        fp = fp[7:]
    fp = fp.replace(':', '').lower()
    if len(fp) != 64 or [c for c in fp if c not in '0123456789abcdef']:
        raise PicolinkError('PL_ERR_CONFIG', 'config.json: "hub_fingerprint" must be a SHA-256 fingerprint (64 hex digits, e.g. "AB:CD:...")')
    import tls
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    # The hub is checked by its certificate's fingerprint, not against CAs (a board has
    # none): under CERT_OPTIONAL an untrusted chain does not end the handshake, but the
    # verify_callback that home.pin() sets still runs and can (CERT_NONE skips it).
    ctx.verify_mode = tls.CERT_OPTIONAL
    return ctx, fp


def key_bytes(key):
    """Telemetry's `key` as configured (docs/protocol.md#telemetry): 32 or more hex
    digits (an even count) are bytes in hex, other text is UTF-8."""
    if len(key) >= 32 and len(key) % 2 == 0:
        try:
            return binascii.unhexlify(key)
        except ValueError:
            pass
    return key.encode()


def boot_id():
    """A random number drawn at each start (telemetry's `boot`)."""
    try:
        b = os.urandom(4)
    except (AttributeError, NotImplementedError):
        import random
        return random.getrandbits(16) << 16 | random.getrandbits(16)
    return b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]


def last_update():
    """The outcome of the last update, as main.py recorded it, for get_info."""
    try:
        with open('.picolink-last-update.json') as f:
            s = json.load(f)
        if s.get('status') in ('ok', 'rolled_back') and isinstance(s.get('files'), list):
            return {'status': s['status'], 'files': s['files']}
    except (OSError, ValueError, AttributeError):
        pass
    return {'status': 'none', 'files': []}
