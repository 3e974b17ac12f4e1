# The codec's text beyond the plain case (framing.py, jsontext.py, proto.py): strict UTF-8 for a frame with
# non-ASCII bytes, JSON strings with escapes (read and written), and numbers written with
# an exponent or not finite, and numbers and booleans sent as text. Most frames need none
# of it, so the codec loads this only for those that do and lets it go again.
from picolink.errors import err
from picolink.jsontext import SURROGATE_HI, SURROGATE_LO
from picolink.proto import SPACE


def bad(what, i):
    return err('json', what, i)


def utf8_ok(b):
    """Strict UTF-8, as a fatal TextDecoder: no overlong forms, surrogates or code points past U+10FFFF."""
    n = len(b)
    i = 0
    while i < n:
        c = b[i]
        if c < 0x80:
            i += 1
            continue
        # k continuation bytes; the first in lo..hi: no overlong forms (E0, F0), no
        # surrogates (ED), nothing past U+10FFFF (F4).
        lo = 0xA0 if c == 0xE0 else 0x90 if c == 0xF0 else 0x80
        hi = 0x9F if c == 0xED else 0x8F if c == 0xF4 else 0xBF
        if 0xC2 <= c <= 0xDF:
            k = 1
        elif 0xE0 <= c <= 0xF4:
            k = 2 if c <= 0xEF else 3
        else:
            return False
        if i + k >= n or not lo <= b[i + 1] <= hi:
            return False
        for j in range(i + 2, i + k + 1):
            if b[j] & 0xC0 != 0x80:
                return False
        i += k + 1
    return True


def read(b, i):
    # i is just past the opening quote; returns (text, index past the closing quote).
    parts = []
    while True:
        j = b.find(b'"', i)
        if j < 0:
            raise bad('str', i)
        k = b.find(b'\\', i, j)
        seg = b[i:j if k < 0 else k]
        if seg and min(seg) < 0x20:
            raise bad('ctrl', i)
        parts.append(seg.decode())
        if k < 0:
            return parts[0] if len(parts) == 1 else ''.join(parts), j + 1
        e = b[k + 1]
        if e == 0x75:  # \u and four hex digits: a surrogate pair making one character
            u = _hex4(b, k + 2)
            i = k + 6
            if 0xD800 <= u <= 0xDBFF and b[i:i + 2] == b'\\u':
                low = _hex4(b, i + 2)
                if 0xDC00 <= low <= 0xDFFF:
                    u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
            parts.append(chr(u))
        else:
            x = b'"\\/bfnrt'.find(bytes((e,)))
            if x < 0:
                raise bad('esc', k)
            parts.append('"\\/\b\f\n\r\t'[x])
            i = k + 2


def _hex4(b, i):
    s = b[i:i + 4]
    for c in s:
        if not (0x30 <= c <= 0x39 or 0x41 <= c <= 0x46 or 0x61 <= c <= 0x66):
            raise bad('u', i)
    if len(s) != 4:
        raise bad('u', i)
    return int(s, 16)


def quote(s):
    # jsontext.quote() for a str with something to escape.
    out = None
    for i, c in enumerate(s):
        if c < ' ' or c == '"' or c == '\\' or SURROGATE_LO <= c <= SURROGATE_HI:
            if out is None:
                out = ['"', s[:i]]
            if c == '"' or c == '\\':
                out.append('\\' + c)
            elif c >= SURROGATE_LO:
                out.append('\\u%04x' % ord(c))
            else:
                x = '\b\t\n\f\r'.find(c)
                out.append('\\' + 'btnfr'[x] if x >= 0 else '\\u%04x' % ord(c))
        elif out is not None:
            out.append(c)
    out.append('"')
    return ''.join(out)


def num(n, r):
    # jsontext.num() for a float that is not finite, or whose repr() `r` has an exponent.
    if n != n:
        return 'NaN'
    if n in (float('inf'), float('-inf')):
        return 'Infinity' if n > 0 else '-Infinity'
    e = r.find('e')
    m = r[:e]
    x = int(r[e + 1:])
    if -7 < x < 0:
        return ('-' if m[0] == '-' else '') + '0.' + '0' * (-x - 1) + m.lstrip('-').replace('.', '')
    return m + 'e' + ('+' if x > 0 else '-') + str(abs(x))


def _numeric(s, fraction):
    # JavaScript's /^[+-]?\d+$/, or with `fraction` /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.
    s = s[1:] if s[:1] in ('+', '-') else s
    if fraction:
        e = max(s.find('e'), s.find('E'))
        if e >= 0:
            x = s[e + 1:]
            if not _numeric(x, False):
                return False
            s = s[:e]
        if s.count('.') == 1:
            s = s.replace('.', '')
    if not s:
        return False
    for c in s:
        if not '0' <= c <= '9':
            return False
    return True


def number(v, fraction):
    """Text as a number the way piconetcontrol's server reads it ("2", " 0.5 "; with
    `fraction`, a fraction or an exponent too), or None when it is not one."""
    s = v.strip(SPACE)
    if not _numeric(s, fraction):
        return None
    return float(s) if fraction or len(s) > 300 else int(s)


def truth(v):
    """Text as a boolean ("on", "0", " TRUE "), or None when it is not one."""
    w = v.strip(SPACE).lower()
    return True if w in ('true', '1', 'yes', 'on') else False if w in ('false', '0', 'no', 'off') else None
