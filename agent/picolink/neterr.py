# Words for what ended a connection, for the log: "connection refused" rather than
# "internal error: OSError: 111". MicroPython raises socket failures as OSError(errno) and
# TLS failures as OSError(mbedtls code), a negative number below -256 (with the code's
# name as a second argument when the port has mbedtls's error strings; rp2 has not).
# Imported when a connection fails (session.py) or by the dial-home link (home.py).
from picolink.errors import to_error

# errno numbers: MicroPython's own (py/mperrno.h), the same as Linux's.
_ERRNO = {
    111: 'connection refused', 104: 'connection reset by the peer', 103: 'connection aborted',
    110: 'timed out', 113: 'host unreachable', 101: 'network unreachable', 107: 'not connected',
    32: 'connection closed by the peer', 12: 'out of memory',
}

# mbedtls codes (mbedtls/ssl.h), the ones a handshake with a stranger ends with.
_MBEDTLS = {
    -0x7700: 'the peer does not speak TLS',  # UNEXPECTED_MESSAGE: e.g. plain JSON to a TLS port
    -0x7300: 'malformed TLS message',  # DECODE_ERROR
    -0x7280: 'the peer closed the connection',  # CONN_EOF
    -0x7780: 'the peer sent a TLS alert; it may not trust this certificate',  # FATAL_ALERT_MESSAGE
    -0x6E00: 'no cipher suite in common',  # HANDSHAKE_FAILURE
    -0x6E80: 'no TLS version in common',  # BAD_PROTOCOL_VERSION
    -0x7680: 'no CA certificate to check the peer against',  # CA_CHAIN_REQUIRED
    -0x7180: 'a TLS record failed its integrity check',  # INVALID_MAC
    -0x7200: 'invalid TLS record',  # INVALID_RECORD
}


def reason(e, handshake=False):
    """`e` in words. `handshake`: the connection was still setting TLS up, so a TLS failure
    reads "TLS handshake failed (...)" rather than "TLS error (...)"."""
    # asyncio's timeout first: CPython's is an OSError without a number.
    if type(e).__name__ == 'TimeoutError':
        return 'timed out'
    if not isinstance(e, OSError):
        return to_error(e).msg
    n = e.args[0] if e.args else None
    tls = getattr(e, 'reason', None)  # CPython's ssl.SSLError: 'WRONG_VERSION_NUMBER', ...
    if tls is not None:
        tls = str(tls).lower().replace('_', ' ')
    elif type(n) is int and n < -256:
        tls = _MBEDTLS.get(n) or (e.args[1] if len(e.args) > 1 else 'mbedtls error -0x%x' % -n)
    if tls is not None:
        return '%s (%s)' % ('TLS handshake failed' if handshake else 'TLS error', tls)
    if type(n) is int and n < 0 or 'addrinfo' in str(n):
        # getaddrinfo's failure (EAI_* or lwIP's negative code on a board): no such name.
        return 'host name not found'
    if isinstance(n, str):
        return n
    return _ERRNO.get(n) or to_error(e).msg
