# What is wrong with a request, in words: the parts of the codec (proto.py) only a bad
# request needs, loaded for it and let go again.
from picolink.proto import PicolinkError, num, quote

# Codes with another exception name than RuntimeError (docs/protocol.md#errors): each
# name, then its codes without "PL_ERR_".
_EXCEPTIONS = ('ValueError BAD_JSON JSON_TOO_COMPLEX UNKNOWN_ACTION OUT_OF_RANGE FIELD_CONFLICT UPDATE_HASH '
               'KeyError MISSING_FIELD UNKNOWN_FIELD TypeError NOT_OBJECT BAD_TYPE UnicodeError BAD_UTF8 '
               'MemoryError FRAME_TOO_LARGE OSError UPDATE_FILE TimeoutError TIMEOUT '
               'PermissionError UNAUTHORIZED HOST_NOT_ALLOWED CSRF')


def exception_name(code):
    name = 'RuntimeError'
    for w in _EXCEPTIONS.split(' '):
        if w[-5:] == 'Error':
            name = w
        elif 'PL_ERR_' + w == code:
            return name
    return 'RuntimeError'


def describe(v):
    if isinstance(v, str):
        return quote(v if len(v) <= 40 else v[:40] + '\u2026')
    if v is None:
        return 'null'
    if isinstance(v, (list, dict)):
        return 'a list' if isinstance(v, list) else 'an object'
    return num(v)


# What a field of a type that is not described by its words must be.
_WORDS = {
    'pin': 'a GPIO number or "LED"',
    'bit': '0 or 1 (also true/false, "on"/"off")',
    'bool': 'true or false (also 1/0, "true"/"false", "on"/"off")',
}


def bad_type(field, words, v):
    return PicolinkError('PL_ERR_BAD_TYPE', 'field "%s" must be %s, got %s' % (field, _WORDS.get(words, words), describe(v)))


# The problems proto.py raises by key: code without "PL_ERR_", then the message, which
# takes the arguments given with the key.
_ERRORS = {
    'utf8': ('BAD_UTF8', 'the frame is not valid UTF-8; send JSON text encoded as UTF-8'),
    'large': ('FRAME_TOO_LARGE', "frame larger than %d bytes; split the request or raise the peer's frame limit"),
    'json': ('BAD_JSON', 'invalid JSON: %s at byte %d'),
    'object': ('NOT_OBJECT', 'a frame must be one JSON object, like {"action": "ping"}'),
    'range': ('OUT_OF_RANGE', 'field "%s" must be between %s and %s%s, got %s'),
    'choice': ('OUT_OF_RANGE', 'field "%s" must be one of %s, got %s'),
    'id': ('BAD_TYPE', 'field "id" must be a string of at most 128 characters or an integer'),
    'missing': ('MISSING_FIELD', 'incomplete command, missing fields: %s'),
    'action': ('UNKNOWN_ACTION', 'unknown action "%s", use "list_actions" to list available actions'),
    'field': ('UNKNOWN_FIELD', 'unknown field "%s"; %s takes %s'),
    'output': ('FIELD_CONFLICT', 'field "%s" applies only to outputs; remove it or use mode "output"'),
    'delay': ('FIELD_CONFLICT', 'field "safe_after_ms" delays the safe value; give "safe" too, or remove it'),
    'hash': ('UPDATE_HASH', 'field "sha256" has no digest for %s; give one for every file or leave sha256 out'),
}

# The JSON problems by key (the parser's other problems come in words).
_JSON = {
    'str': 'unterminated string',
    'ctrl': 'control character in string',
    'esc': 'bad escape',
    'u': 'bad \\u escape',
    'num': 'bad number',
    'deep': 'nested too deeply',
    'key': 'expected a key',
    ':': 'expected ":"',
    ',': 'expected "," or a closing bracket',
    'end': 'unexpected end',
    'after': 'unexpected data after the value',
}


def err(key, args):
    code, text = _ERRORS[key]
    if key == 'json':
        args = (_JSON.get(args[0], args[0]), args[1])
    return PicolinkError('PL_ERR_' + code, text % args if args else text)
