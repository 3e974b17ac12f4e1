# Strict JSON (RFC 8259) both ways, as packages/protocol reads and JSON.stringify writes
# it, with the shape limits on a peer's JSON checked before anything is parsed. Pure.
#
# Written for MicroPython first: bytes are scanned by index (indexing a non-ASCII str is
# slow there), booleans are tested before numbers (isinstance(True, int) is False there),
# nothing trusts wire input enough to assert on it, and the code is kept compact, because
# on a board every function and string of it lives in the heap.
from micropython import const

from picolink.errors import PicolinkError, err
from picolink.rt import use

try:
    from collections import OrderedDict as Obj
except ImportError:
    Obj = dict

# Shape limits on JSON from a peer (docs/protocol.md#framing), as json-limits.ts: nesting
# depth and number of values, checked on the bytes before anything is parsed.
_MAX_DEPTH = const(32)
_MAX_VALUES = const(4096)


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
        raise err('json', 'str', i)
    if b.find(b'\\', i, j) >= 0:
        return use('strings', 'read', b, i)
    seg = b[i:j]
    if seg and min(seg) < 0x20:
        raise err('json', 'ctrl', i)
    return seg.decode(), j + 1


def _num(b, i):
    n = len(b)
    j = i + 1 if b[i] == 0x2D else i
    digits = j
    while j < n and 0x30 <= b[j] <= 0x39:
        j += 1
    if j == digits or (b[digits] == 0x30 and j - digits > 1):
        raise err('json', 'num', i)
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
            raise err('json', 'num', i)
    if j < n and b[j] in b'eE':
        j += 1
        if j < n and b[j] in b'+-':
            j += 1
        k = j
        while j < n and 0x30 <= b[j] <= 0x39:
            j += 1
        if j == k:
            raise err('json', 'num', i)
        integral = False
    if integral and whole - i < 300:
        # 2.0 is the integer 2, as in JavaScript; taken from its digits it stays exact
        # where floats are single precision (RP2040). Past a double's range: Infinity.
        return int(b[i:whole]), j
    return float(b[i:j]), j


def _value(b, i, obj, room):
    # `room`: levels of nesting still allowed; the recursion never goes deeper.
    if room < 0:
        raise err('json', 'deep', i)
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
                    raise err('json', 'key', i)
                k, i = _str(b, i + 1)
                i = _ws(b, i)
                if b[i] != 0x3A:
                    raise err('json', ':', i)
                v, i = _value(b, _ws(b, i + 1), obj, room - 1)
                out[k] = v
            else:
                v, i = _value(b, i, obj, room - 1)
                out.append(v)
            i = _ws(b, i)
            if b[i] == close:
                return out, i + 1
            if b[i] != 0x2C:
                raise err('json', ',', i)
            i = _ws(b, i + 1)
    for word, v in ((b'true', True), (b'false', False), (b'null', None)):
        if b[i:i + len(word)] == word:
            return v, i + len(word)
    if c == 0x2D or 0x30 <= c <= 0x39:
        return _num(b, i)
    raise err('json', 'unexpected %r' % chr(c), i)


def loads_peer(b):
    """loads() for JSON from a peer, after its shape: PL_ERR_JSON_TOO_COMPLEX when the
    bytes nest deeper than 32 levels or hold more than 4096 values, counted as
    packages/protocol/src/json-limits.ts counts them (outside strings, escapes honoured:
    the top-level value, each opened object or list and each comma), before any parsing
    and so before PL_ERR_BAD_JSON. A recursive parser, and an echo written back, can then
    never go deeper than that."""
    if isinstance(b, str):
        b = b.encode()
    opens = b.count(b'[') + b.count(b'{')
    if opens > _MAX_DEPTH or opens + b.count(b',') >= _MAX_VALUES:
        # Perhaps past a limit (counted with strings included, so within the limits
        # outside them otherwise): shape.py counts outside strings; rare, so loaded for
        # the moment.
        use('shape', 'check', b, _MAX_DEPTH, _MAX_VALUES)
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
        raise err('json', 'end', len(b))
    if _ws(b, i) != len(b):
        raise err('json', 'after', i)
    return v


# ---------------------------------------------------------------- JSON out

def is_num(v):
    """A finite int or float (booleans are not numbers here)."""
    t = type(v)
    return (t is int or t is float) and v == v and v not in (float('inf'), float('-inf'))


def num(n):
    """A number as JavaScript's String() and JSON.stringify() write it."""
    if n is True or n is False:
        return 'true' if n else 'false'
    if type(n) is int:
        return str(n)
    if is_num(n) and -1e21 < n < 1e21 and n == int(n):
        return str(int(n))
    r = repr(n)
    # Exponents and what is not finite are written by strings.py.
    return r if 'e' not in r and is_num(n) else use('strings', 'num', n, r)


# A lone surrogate (from a "\ud800" escape) cannot be sent as UTF-8: it is written back as
# an escape, as JSON.stringify does, so a reply echoing it stays valid UTF-8.
SURROGATE_LO = chr(0xD800)
SURROGATE_HI = chr(0xDFFF)


def quote(s):
    """A str as JSON.stringify writes it: non-ASCII kept, control characters and lone surrogates escaped."""
    for c in s:
        if c < ' ' or c == '"' or c == '\\' or SURROGATE_LO <= c <= SURROGATE_HI:
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
    # An object or a list. (A loop, not a comprehension: on a board each comprehension
    # is a function of its own.)
    d = isinstance(v, dict)
    out = []
    for x in v.items() if d else v:
        out.append(quote(x[0]) + ':' + dumps(x[1]) if d else dumps(x))
    return ('{%s}' if d else '[%s]') % ','.join(out)
