# The exact count behind jsontext.loads_peer() (docs/protocol.md#framing): the nesting and
# the values of JSON bytes, outside strings, as packages/protocol/src/json-limits.ts
# counts them. Needed only when a frame has more brackets or commas than the limits allow
# (strings included), so jsontext.py loads it only then and lets it go again.
from picolink.errors import PicolinkError


def _complex(msg):
    return PicolinkError('PL_ERR_JSON_TOO_COMPLEX', 'the JSON %s; send flat requests (docs/protocol.md#framing)' % msg)


def _skip_str(b, i):
    # i is just past an opening quote; returns the index of the closing one (len(b) if
    # none): the first quote not escaped, i.e. not after an odd run of backslashes.
    while True:
        j = b.find(b'"', i)
        if j < 0:
            return len(b)
        k = j
        while k > i and b[k - 1] == 0x5C:
            k -= 1
        if not (j - k) & 1:
            return j
        i = j + 1


def check(b, max_depth, max_values):
    """PL_ERR_JSON_TOO_COMPLEX when `b` nests deeper than max_depth or holds more than
    max_values values: the top-level value, each opened object or list and each comma."""
    depth = 0
    values = 1
    n = len(b)
    i = 0
    while i < n:
        c = b[i]
        if c == 0x22:
            i = _skip_str(b, i + 1)
        elif c == 0x5B or c == 0x7B:
            depth += 1
            values += 1
            if depth > max_depth:
                raise _complex('nests deeper than %d levels' % max_depth)
            if values > max_values:
                raise _complex('holds more than %d values' % max_values)
        elif c == 0x5D or c == 0x7D:
            depth -= 1
        elif c == 0x2C:
            values += 1
            if values > max_values:
                raise _complex('holds more than %d values' % max_values)
        i += 1
