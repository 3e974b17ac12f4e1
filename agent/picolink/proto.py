# picolink protocol v1 codec for MicroPython (docs/protocol.md): framing, strict JSON,
# request validation and coercion, responses. Pure: no sockets, pins or clock. It follows
# packages/protocol (the TypeScript codec) rule for rule; the shared test-vectors/ check
# that both agree. Telemetry datagrams are in datagram.py.
#
# Written for MicroPython first: bytes are scanned by index (indexing a non-ASCII str is
# slow there), booleans are tested before numbers (isinstance(True, int) is False there),
# tables are tuples (dict order is not insertion order), nothing trusts wire input enough
# to assert on it, and the code is kept compact, because on a board every function and
# string of it lives in the heap.
from micropython import const

from picolink.rt import use

try:
    from collections import OrderedDict as Obj
except ImportError:
    Obj = dict

# Shape limits on JSON from a peer (docs/protocol.md#framing), as json-limits.ts: nesting
# depth and number of values, checked on the bytes before anything is parsed.
_MAX_DEPTH = const(32)
_MAX_VALUES = const(4096)
_SAFE_INT = 9007199254740991
CAPABILITIES = ('pipeline', 'events', 'leases', 'failsafe', 'pwm', 'adc', 'update', 'telemetry')

def _fault(name, *args):
    # Words for what went wrong (fault.py).
    return use('fault', name, *args)


def err(key, *args):
    """The PicolinkError for problem `key` of fault.py's table, with `args` in its
    message: the text is loaded only when a problem happens."""
    return _fault('err', key, args)


def exception_name(code):
    """The exception name of error code `code` (docs/protocol.md#errors)."""
    return _fault('exception_name', code)


class PicolinkError(Exception):
    """An error with a stable code (docs/errors.md) and a message a person can act on."""

    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code
        self.msg = msg


def to_error(e):
    """Anything raised, as a PicolinkError; unexpected errors are PL_ERR_INTERNAL."""
    if isinstance(e, PicolinkError):
        return e
    return PicolinkError('PL_ERR_INTERNAL', 'internal error: %s: %s' % (type(e).__name__, e))


# ---------------------------------------------------------------- framing (docs/protocol.md#framing)

def utf8_ok(b):
    """Strict UTF-8, as a fatal TextDecoder: no overlong forms, surrogates or code points past U+10FFFF."""
    # ASCII here; anything else is checked by strings.py.
    return not b or max(b) < 0x80 or use('strings', 'utf8_ok', b)


class LineDecoder:
    """Bytes in, lines out. Holds at most `max` bytes of an unfinished line; a longer line
    gives one PL_ERR_FRAME_TOO_LARGE and is discarded up to its newline. push() returns
    lines (bytes, valid UTF-8, without the newline and one trailing CR; blank lines
    skipped) and PicolinkErrors, in order."""

    def __init__(self, limit):
        self.max = limit
        self.buf = bytearray()
        self.skip = False

    def push(self, data):
        out = []
        start = 0
        n = len(data)
        while start <= n:
            end = data.find(b'\n', start)
            if end < 0:
                if start < n and not self.skip:
                    if len(self.buf) + n - start > self.max:
                        self.buf = bytearray()
                        self.skip = True
                        out.append(self._too_large())
                    else:
                        self.buf.extend(data[start:])
                return out
            if self.skip:
                self.skip = False
            elif len(self.buf) + end - start > self.max:
                self.buf = bytearray()
                out.append(self._too_large())
            else:
                if self.buf:
                    self.buf.extend(data[start:end])
                    line = bytes(self.buf)
                    self.buf = bytearray()
                else:
                    line = data[start:end]
                if line and line[-1] == 13:
                    line = line[:-1]
                if line.strip(b' \t\r'):
                    out.append(line if utf8_ok(line) else err('utf8'))
            start = end + 1
        return out

    def _too_large(self):
        return err('large', self.max)


# ---------------------------------------------------------------- strict JSON (RFC 8259)

def _bad(what, i):
    # `what`: a key of fault.py's JSON problems, or the problem in words.
    return err('json', what, i)


def _ws(b, i):
    n = len(b)
    while i < n and b[i] in b' \t\r\n':
        i += 1
    return i


def _str(b, i):
    # i is just past the opening quote; returns (text, index past the closing quote). A
    # string with escapes is read by strings.py.
    j = b.find(b'"', i)
    if j < 0:
        raise _bad('str', i)
    if b.find(b'\\', i, j) >= 0:
        return use('strings', 'read', b, i)
    seg = b[i:j]
    if seg and min(seg) < 0x20:
        raise _bad('ctrl', i)
    return seg.decode(), j + 1


def _num(b, i):
    n = len(b)
    j = i + 1 if b[i] == 0x2D else i
    digits = j
    while j < n and 0x30 <= b[j] <= 0x39:
        j += 1
    if j == digits or (b[digits] == 0x30 and j - digits > 1):
        raise _bad('num', i)
    whole = j
    integral = True
    if j < n and b[j] == 0x2E:
        j += 1
        k = j
        while j < n and 0x30 <= b[j] <= 0x39:
            if b[j] != 0x30:
                integral = False
            j += 1
        if j == k:
            raise _bad('num', i)
    if j < n and b[j] in b'eE':
        j += 1
        if j < n and b[j] in b'+-':
            j += 1
        k = j
        while j < n and 0x30 <= b[j] <= 0x39:
            j += 1
        if j == k:
            raise _bad('num', i)
        integral = False
    if integral and whole - i < 300:
        # 2.0 is the integer 2, as in JavaScript; taken from its digits it stays exact
        # where floats are single precision (RP2040). Past a double's range: Infinity.
        return int(b[i:whole]), j
    return float(b[i:j]), j


def _value(b, i, obj, room):
    # `room`: levels of nesting still allowed; the recursion never goes deeper.
    if room < 0:
        raise _bad('deep', i)
    c = b[i]
    if c == 0x22:
        return _str(b, i + 1)
    if c == 0x7B or c == 0x5B:
        close = c + 2
        out = obj() if c == 0x7B else []
        i = _ws(b, i + 1)
        if b[i] == close:
            return out, i + 1
        while True:
            if c == 0x7B:
                if b[i] != 0x22:
                    raise _bad('key', i)
                k, i = _str(b, i + 1)
                i = _ws(b, i)
                if b[i] != 0x3A:
                    raise _bad(':', i)
                v, i = _value(b, _ws(b, i + 1), obj, room - 1)
                out[k] = v
            else:
                v, i = _value(b, i, obj, room - 1)
                out.append(v)
            i = _ws(b, i)
            if b[i] == close:
                return out, i + 1
            if b[i] != 0x2C:
                raise _bad(',', i)
            i = _ws(b, i + 1)
    for word, v in ((b'true', True), (b'false', False), (b'null', None)):
        if b[i:i + len(word)] == word:
            return v, i + len(word)
    if c == 0x2D or 0x30 <= c <= 0x39:
        return _num(b, i)
    raise _bad('unexpected %r' % chr(c), i)


def check_shape(b):
    """PL_ERR_JSON_TOO_COMPLEX when the JSON bytes `b` nest deeper than 32 levels or hold
    more than 4096 values, counted as packages/protocol/src/json-limits.ts counts them:
    outside strings (escapes honoured), the top-level value, each opened object or list
    and each comma. It does not check that `b` is JSON; loads() does that afterwards. A
    recursive parser, and an echo written back, can then never go deeper than that."""
    opens = b.count(b'[') + b.count(b'{')
    if opens <= _MAX_DEPTH and opens + b.count(b',') < _MAX_VALUES:
        return  # counted with strings included, so within the limits outside them too
    # Perhaps past a limit: shape.py counts outside strings; rare, so loaded for the moment.
    use('shape', 'check', b, _MAX_DEPTH, _MAX_VALUES)


def loads_peer(b):
    """loads() for JSON from a peer: check_shape() first, so PL_ERR_JSON_TOO_COMPLEX
    comes before any parsing (and before PL_ERR_BAD_JSON)."""
    if isinstance(b, str):
        b = b.encode()
    check_shape(b)
    return loads(b)


def loads(b, obj=Obj, max_depth=_MAX_DEPTH):
    """Strict JSON from UTF-8 bytes, at most `max_depth` levels deep. Objects keep the
    sender's key order (OrderedDict where the port has it), for echoes and for which
    unknown field is named first. For a peer's bytes use loads_peer()."""
    if isinstance(b, str):
        b = b.encode()
    try:
        v, i = _value(b, _ws(b, 0), obj, max_depth)
    except PicolinkError:
        raise
    except Exception:
        # Ran off the end (IndexError), or a number int()/float() would not take.
        raise _bad('end', len(b))
    if _ws(b, i) != len(b):
        raise _bad('after', i)
    return v


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


# ---------------------------------------------------------------- JSON out

def _is_num(v):
    t = type(v)
    return (t is int or t is float) and v == v and v not in (float('inf'), float('-inf'))


def num(n):
    """A number as JavaScript's String() and JSON.stringify() write it."""
    if n is True or n is False:
        return 'true' if n else 'false'
    if type(n) is int:
        return str(n)
    if _is_num(n) and -1e21 < n < 1e21 and n == int(n):
        return str(int(n))
    r = repr(n)
    # Exponents and what is not finite are written by strings.py.
    return r if 'e' not in r and _is_num(n) else use('strings', 'num', n, r)


# A lone surrogate (from a "\ud800" escape) cannot be sent as UTF-8: it is written back as
# an escape, as JSON.stringify does, so a reply echoing it stays valid UTF-8.
_SURROGATE_LO = chr(0xD800)
_SURROGATE_HI = chr(0xDFFF)


def quote(s):
    """A str as JSON.stringify writes it: non-ASCII kept, control characters and lone surrogates escaped."""
    for c in s:
        if c < ' ' or c == '"' or c == '\\' or _SURROGATE_LO <= c <= _SURROGATE_HI:
            # Something to escape: strings.py writes it.
            return use('strings', 'quote', s)
    return '"' + s + '"'


def dumps(v):
    """Compact JSON, as JSON.stringify writes it."""
    if v is None:
        return 'null'
    if isinstance(v, str):
        return quote(v)
    if v is True or v is False or type(v) is int or type(v) is float:
        r = num(v)
        return 'null' if r[-1] in 'yN' else r
    if isinstance(v, dict):
        return '{' + ','.join([quote(k) + ':' + dumps(x) for k, x in v.items()]) + '}'
    return '[' + ','.join([dumps(x) for x in v]) + ']'


def describe(v):
    """A received value in an error message; text is cut at 40 characters."""
    return _fault('describe', v)


# ---------------------------------------------------------------- requests (docs/protocol.md#types, #validation)

_SPACE = ' \t\n\r\x0b\x0c'


def _bad_type(field, words, v):
    return _fault('bad_type', field, words, v)


def coerce(field, t, v):
    """Converts a received value to field type `t` the way piconetcontrol's server does
    ("2" -> 2, "off" -> False); a coded error when it cannot."""
    k = t[0]
    if k == 'pin':
        if isinstance(v, str) and v.strip(_SPACE).upper() == 'LED':
            return 'LED'
        try:
            return coerce(field, ('int', 0, 63), v)
        except PicolinkError as e:
            if e.code == 'PL_ERR_BAD_TYPE':
                raise _bad_type(field, 'pin', v)
            raise
    if k == 'int' or k == 'number':
        words = 'an integer' if k == 'int' else 'a number'
        if type(v) is int or type(v) is float:
            n = v
        else:
            # Text ("2", " 0.5 ") as piconetcontrol's clients send it: strings.py.
            n = use('strings', 'number', v, k == 'number') if isinstance(v, str) else None
            if n is None:
                raise _bad_type(field, words, v)
        if not _is_num(n):
            raise _bad_type(field, words if k == 'int' else 'a finite number', v)
        if k == 'int':
            if n != int(n):
                raise _bad_type(field, words, v)
            n = int(n)
        if n < t[1] or n > t[2]:
            raise err('range', field, num(t[1]), num(t[2]), ' ' + t[3] if len(t) > 3 else '', num(n))
        return n
    if k == 'bool' or k == 'bit':
        if v is True or v is False:
            b = v
        elif (type(v) is int or type(v) is float) and v in (0, 1):
            b = v == 1
        else:
            b = use('strings', 'truth', v) if isinstance(v, str) else None
            if b is None:
                raise _bad_type(field, k, v)
        return (1 if b else 0) if k == 'bit' else b
    if k == 'enum':
        words = ', '.join(t[1])
        if not isinstance(v, str):
            raise _bad_type(field, 'one of ' + words, v)
        w = v.strip(_SPACE).lower()
        if w not in t[1]:
            raise err('choice', field, words, describe(v))
        return w
    # files (name -> content) or hashes (name -> SHA-256 hex): only an update has them, so
    # their rules are in update.py, loaded for the moment.
    return use('update', 'coerce', field, k, v)


# Each action, then its fields in validation order, "*" marking the required ones.
# This table and the next are text, read when a request is validated: as tuples they
# would cost a board some 2 KB more heap.
_ACTIONS = """ping
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


def action_names():
    return [line.split(' ', 1)[0] for line in _ACTIONS.split('\n')]


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
    if (type(v) is int or type(v) is float) and _is_num(v) and v == int(v) and -_SAFE_INT <= v <= _SAFE_INT:
        return int(v)
    raise err('id')


def validate(frame):
    """A request -> (action, fields) coerced with defaults filled in, or the first problem
    in the order of docs/protocol.md#validation."""
    read_id(frame)
    if 'action' not in frame:
        raise err('missing', 'action')
    action = frame['action']
    for line in _ACTIONS.split('\n'):
        names = line.split(' ')
        if names[0] == action:
            break
    else:
        raise err('action', action if isinstance(action, str) else dumps(action))
    names = [n.lstrip('*') for n in names[1:]]
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
        lacking = [n for n in fields['files'] if n not in fields['sha256']]
        if lacking:
            raise err('hash', ', '.join(lacking))
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
            close = line.rfind(b'}')
            return b''.join([line[:close]] + [(',' + quote(k) + ':' + dumps(v)).encode() for k, v in added] + [b'}\n'])
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
    return _respond(line, frame, [('ok', False), ('error', e.msg), ('code', e.code), ('exception', exception_name(e.code))])


def event(fields):
    """An event frame from ordered key/value pairs."""
    return _respond(None, None, fields)
