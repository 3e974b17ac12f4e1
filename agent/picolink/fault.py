# What went wrong, in words: the error messages of the codec (framing.py, jsontext.py,
# proto.py), the pins and the connections the device closes, exception names, value
# descriptions and telemetry's rare log lines. Only a problem needs them, so errors.err()
# and the others load this for it and let it go again: on a board the text would
# otherwise stay in the heap.
from picolink.errors import PicolinkError
from picolink.jsontext import num, quote

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
    'int': 'an integer',
    'number': 'a number',
    'finite': 'a finite number',
    'bit': '0 or 1 (also true/false, "on"/"off")',
    'bool': 'true or false (also 1/0, "true"/"false", "on"/"off")',
}


def bad_type(field, words, v):
    return PicolinkError('PL_ERR_BAD_TYPE', 'field "%s" must be %s, got %s' % (field, _WORDS.get(words, words), describe(v)))


# The problems the agent reports by key (errors.err()): code without "PL_ERR_", then the message, which
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
    # pins.py
    'no_pin': ('NO_SUCH_PIN', 'pin %s does not exist on %s; use GPIO 0-22, 26-28 or "LED"'),
    'not_set': ('PIN_NOT_SETUP', 'pin %s is not set up; send setup_pin first'),
    'is_pwm': ('PIN_MODE', 'pin %s is driven by PWM; send setup_pin to use it as GPIO'),
    'led_in': ('PIN_MODE', 'pin LED is output only; set it up with mode "output"'),
    'safe_in': ('FIELD_CONFLICT', '"safe" applies to outputs only; pin %s is being set up as an input'),
    'is_in': ('PIN_MODE', 'pin %s is an input; set it up with mode "output" to drive it'),
    'led_pwm': ('PIN_MODE', 'pin LED cannot do PWM; use a GPIO pin'),
    # A connection the device closes (session.py, app.py)
    'silent': ('IDLE_TIMEOUT', 'no frame for %d ms while controlling outputs with safe values; safe values applied, closing the connection'),
    'idle': ('IDLE_TIMEOUT', 'no frame for %d ms; closing the connection (send ping to keep it open)'),
    'hello': ('IDLE_TIMEOUT', 'no request within %d ms of connecting; closing the connection'),
    'slow': ('SLOW_CONSUMER', '%d bytes of responses unread; dropping the connection'),
    'full': ('TOO_MANY_CLIENTS', 'the device already serves %d clients; close one and retry'),
    'evicted': ('TOO_MANY_CLIENTS', 'the device is full (%d clients) and this connection had sent no request yet; '
                'it was closed to make room (send a request right after connecting)'),
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


# Log lines about what went wrong now and then (telemetry.py), by key.
_LINES = {
    'udp': 'telemetry to %s:%d: %s; retrying',
    'acks': 'telemetry acks ignored (%d so far): not for this device and boot, or not signed with its key',
}


def line(key, args):
    return _LINES[key] % args


def err(key, args):
    code, text = _ERRORS[key]
    if key == 'json':
        args = (_JSON.get(args[0], args[0]), args[1])
    return PicolinkError('PL_ERR_' + code, text % args if args else text)
