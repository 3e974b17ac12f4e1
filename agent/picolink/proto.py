# picolink protocol v1 for MicroPython (docs/protocol.md): frames read into requests,
# request validation and coercion, responses, events. Pure: no sockets, pins or clock.
# It follows packages/protocol (the TypeScript codec) rule for rule; the shared
# test-vectors/ check that both agree. Line framing is in framing.py, JSON in
# jsontext.py, telemetry datagrams in datagram.py. Tables are tuples or text (dict order
# is not insertion order on MicroPython, and a board keeps every object in its heap).
from picolink.errors import err, to_error
from picolink.jsontext import Obj, dumps, is_num, loads_peer, num, quote
from picolink.rt import use

_SAFE_INT = 9007199254740991
CAPABILITIES = ('pipeline', 'events', 'leases', 'failsafe', 'pwm', 'adc', 'update', 'telemetry')


def parse_frame(line):
    """One line (bytes) -> a JSON object, or PL_ERR_JSON_TOO_COMPLEX / PL_ERR_BAD_JSON /
    PL_ERR_NOT_OBJECT."""
    v = loads_peer(line)
    if not isinstance(v, dict):
        raise err('object')
    return v


def message_kind(frame):
    ok = frame.get('ok')
    if ok is True or ok is False:
        return 'response'
    if isinstance(frame.get('event'), str):
        return 'event'
    return 'request' if isinstance(frame.get('action'), str) else 'unknown'


# ---------------------------------------------------------------- requests (docs/protocol.md#types, #validation)

# The white space around text that coerce() strips (piconetcontrol's clients pad numbers).
SPACE = ' \t\n\r\x0b\x0c'


def coerce(field, t, v):
    """Converts a received value to field type `t` the way piconetcontrol's server does
    ("2" -> 2, "off" -> False); a coded error when it cannot."""
    k = t[0]
    if k == 'files' or k == 'hashes':
        # Only an update has them (name -> content, name -> SHA-256 hex), so their rules
        # are in update.py, loaded for the moment.
        return use('update', 'coerce', field, k, v)
    text = isinstance(v, str)
    if k == 'enum':
        if text:
            w = v.strip(SPACE).lower()
            if w not in t[1]:
                raise err('choice', field, ', '.join(t[1]), use('fault', 'describe', v))
            return w
        k = 'one of ' + ', '.join(t[1])
    elif k == 'pin' and text and v.strip(SPACE).upper() == 'LED':
        return 'LED'
    else:
        truth = k == 'bool' or k == 'bit'
        if text:
            # Text ("2", " 0.5 ", "off") as piconetcontrol's clients send it: strings.py.
            n = use('strings', 'truth', v) if truth else use('strings', 'number', v, k == 'number')
        elif v is True or v is False:
            n = v if truth else None
        elif type(v) is int or type(v) is float:
            n = (v == 1 if v in (0, 1) else None) if truth else v
        else:
            n = None
        if n is not None:
            if truth:
                return (1 if n else 0) if k == 'bit' else n
            if not is_num(n):
                if k == 'number':
                    k = 'finite'
            elif k == 'number' or n == int(n):
                if k != 'number':
                    n = int(n)
                lo, hi = (0, 63) if k == 'pin' else t[1:3]
                if n < lo or n > hi:
                    raise err('range', field, num(lo), num(hi), ' ' + t[3] if len(t) > 3 else '', num(n))
                return n
    # pin, int, number, finite, bool, bit: fault.py has the words.
    raise use('fault', 'bad_type', field, k, v)


# Each action, then its fields in validation order, "*" marking the required ones
# (list_actions names them: info.py).
# This table and the next are text, read when a request is validated: as tuples they
# would cost a board some 2 KB more heap.
ACTIONS = """ping
get_version
get_info
get_resource_info
list_actions
setup_pin *pin *mode pull value safe safe_after_ms
write_pin *pin *value timeout
read_pin *pin
set_pwm *pin *freq *duty
read_adc *channel
watch_pin *pin edge debounce_ms
unwatch_pin *pin
reset
sleep *time_ms deep
update *files compress sha256"""

# Each field's type, the same in every action that takes it: its kind, with bounds and a
# unit (int, number) or choices (enum), and an optional field's default after "=".
_TYPES = """
pin pin
mode enum input|output
pull enum up|down|none =none
value bit
safe bit
safe_after_ms int 0 3600000 ms
timeout number 0 604800 s =0
freq int 8 62500000 Hz
duty number 0 1
channel int 0 4
edge enum rising|falling|both =both
debounce_ms int 0 10000 ms =20
time_ms int 1 2147483647 ms
deep bool =false
files files
compress bool =false
sha256 hashes
"""


def _field(name):
    # (type as coerce() takes it, default or None) of a field name in _TYPES.
    i = _TYPES.find('\n' + name + ' ') + len(name) + 2
    words = _TYPES[i:_TYPES.find('\n', i)].split(' ')
    default = words.pop()[1:] if words[-1][0] == '=' else None
    kind = words[0]
    if kind == 'enum':
        t = (kind, tuple(words[1].split('|')))
    elif len(words) > 1:
        t = (kind, int(words[1]), int(words[2])) + tuple(words[3:])
    else:
        t = (kind,)
    if default is not None and kind != 'enum':
        default = default == 'true' if kind == 'bool' else int(default)
    return t, default


def read_id(frame):
    """The request id or None: a string of at most 128 characters or a safe integer."""
    if 'id' not in frame:
        return None
    v = frame['id']
    if isinstance(v, str) and len(v) <= 128:
        return v
    if (type(v) is int or type(v) is float) and is_num(v) and v == int(v) and -_SAFE_INT <= v <= _SAFE_INT:
        return int(v)
    raise err('id')


def validate(frame):
    """A request -> (action, fields) coerced with defaults filled in, or the first problem
    in the order of docs/protocol.md#validation."""
    read_id(frame)
    if 'action' not in frame:
        raise err('missing', 'action')
    action = frame['action']
    # (No comprehensions here and below: on a board each is a function of its own.)
    for line in ACTIONS.split('\n'):
        if line.split(' ', 1)[0] == action:
            break
    else:
        raise err('action', action if isinstance(action, str) else dumps(action))
    names = line.replace('*', '').split(' ')[1:]
    required = line.count('*')
    fields = {}
    missing = []
    for i, name in enumerate(names):
        t, default = _field(name)
        v = frame.get(name)
        if v is not None:
            fields[name] = coerce(name, t, v)
        elif i < required:
            missing.append(name)
        elif default is not None:
            fields[name] = default
    if missing:
        raise err('missing', ', '.join(missing))
    for key in frame:
        if key not in names and key not in ('id', 'action', 'time_sent'):
            raise err('field', key, action, ', '.join(names) if names else 'no fields')
    if action == 'setup_pin':
        if fields['mode'] == 'input' and 'safe' in fields:
            raise err('output', 'safe')
        if 'safe_after_ms' in fields:
            if fields['mode'] == 'input':
                raise err('output', 'safe_after_ms')
            if 'safe' not in fields:
                raise err('delay')
    if 'sha256' in fields:
        # Every file needs its digest: update.py, loaded for the moment.
        use('update', 'check_hashes', fields['files'], fields['sha256'])
    return action, fields


# ---------------------------------------------------------------- responses (docs/protocol.md#requests)

def _respond(line, frame, added):
    # Spliced when it can be: the request's own bytes with `added` (ordered key/value
    # pairs) inserted before its closing brace, so the echo is exactly what was sent and
    # nothing is re-serialised. Rebuilt when a key would repeat, and for update, whose
    # echo names its files instead of repeating their contents.
    if frame and frame.get('action') != 'update':
        for k, _ in added:
            if k in frame:
                break
        else:
            out = [line[:line.rfind(b'}')]]
            for k, v in added:
                out.append((',' + quote(k) + ':' + dumps(v)).encode())
            out.append(b'}\n')
            return b''.join(out)
    out = Obj()
    for k, v in (frame or {}).items():
        out[k] = sorted(v) if k == 'files' and isinstance(v, dict) and frame.get('action') == 'update' else v
    for k, v in added:
        out[k] = v
    return (dumps(out) + '\n').encode()


def success(line, frame, results, t_ns):
    """A success response (bytes, newline included): the request as received, then ok,
    time_received (ns) and the results (ordered key/value pairs)."""
    return _respond(line, frame, [('ok', True), ('time_received', t_ns)] + results)


def failure(line, frame, err):
    """An error response; `line` and `frame` None when nothing can be echoed."""
    e = to_error(err)
    return _respond(line, frame, [('ok', False), ('error', e.msg), ('code', e.code), ('exception', use('fault', 'exception_name', e.code))])


def event(fields):
    """An event frame from ordered key/value pairs."""
    return _respond(None, None, fields)
