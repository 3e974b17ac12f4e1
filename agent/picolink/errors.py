# The coded error every layer of the agent raises (docs/errors.md), and the words for it,
# which fault.py holds and lends only when a problem happens.
from picolink.rt import use


class PicolinkError(Exception):
    """An error with a stable code (docs/errors.md) and a message a person can act on."""

    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code
        self.msg = msg


def err(key, *args):
    """The PicolinkError for problem `key` of fault.py's table, with `args` in its
    message: the text is loaded only when a problem happens."""
    return use('fault', 'err', key, args)


def to_error(e):
    """Anything raised, as a PicolinkError; unexpected errors are PL_ERR_INTERNAL."""
    if isinstance(e, PicolinkError):
        return e
    return PicolinkError('PL_ERR_INTERNAL', 'internal error: %s: %s' % (type(e).__name__, e))
