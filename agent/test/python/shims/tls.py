# CPython stand-in for MicroPython's `tls` module (mbedtls), as the agent uses it:
# - SSLContext.load_cert_chain takes the certificate and key as DER bytes (what the Pico W
#   loads); CPython's wants PEM files.
# - A client context checks no host name, as MicroPython's does not.
# - verify_mode follows mbedtls: CERT_OPTIONAL checks the chain but goes on when it is not
#   trusted (OpenSSL's client treats it as CERT_REQUIRED); CERT_NONE checks nothing.
# - verify_callback(cert, depth): unless verify_mode is CERT_NONE, called with the peer's
#   certificate (DER, as a memoryview) at depth 0; a non-zero answer fails the handshake
#   with an OSError, as mbedtls does. mbedtls calls it during the handshake, before the
#   client's Finished; OpenSSL gives no such hook to Python, so here it runs as the
#   handshake completes: still before any application data, which is what a caller
#   relies on. CPython cannot show the rest of the chain (depth > 0): it is not called
#   for it.
import base64
import os
import ssl
import tempfile

PROTOCOL_TLS_SERVER = ssl.PROTOCOL_TLS_SERVER
PROTOCOL_TLS_CLIENT = ssl.PROTOCOL_TLS_CLIENT
CERT_NONE = ssl.CERT_NONE
CERT_OPTIONAL = ssl.CERT_OPTIONAL
CERT_REQUIRED = ssl.CERT_REQUIRED


def _pem(label, der):
    body = base64.encodebytes(der).decode()
    return '-----BEGIN %s-----\n%s-----END %s-----\n' % (label, body, label)


class _SSLObject(ssl.SSLObject):
    # What asyncio wraps its TLS connections in (SSLContext.sslobject_class).
    def do_handshake(self):
        super().do_handshake()  # SSLWantReadError and the like until the handshake is done
        ctx = self.context
        if ctx.verify_callback is None or ctx.verify_mode == CERT_NONE:
            return
        der = self.getpeercert(True)
        if der is None:
            return
        r = ctx.verify_callback(memoryview(der), 0)
        if r:
            # mbedtls's small negative codes surface as OSError(-code). asyncio fails the
            # handshake only on an ssl.SSLError, an OSError subclass.
            raise ssl.SSLError(-r if -256 < r < 0 else r, 'the verify_callback refused the certificate')


class SSLContext(ssl.SSLContext):
    sslobject_class = _SSLObject

    def __init__(self, protocol):
        self.verify_callback = None
        # MicroPython's client context checks no host name; CPython's wants that turned
        # off before verify_mode may be CERT_NONE.
        if protocol == PROTOCOL_TLS_CLIENT:
            self.check_hostname = False
            self._mode = CERT_REQUIRED
        else:
            self._mode = CERT_NONE

    @property
    def verify_mode(self):
        return self._mode

    @verify_mode.setter
    def verify_mode(self, value):
        self._mode = value
        ssl.SSLContext.verify_mode.__set__(self, CERT_NONE if value == CERT_OPTIONAL else value)

    def load_cert_chain(self, certfile, keyfile=None):
        d = tempfile.mkdtemp(prefix='picolink-tls-')
        cert = os.path.join(d, 'cert.pem')
        key = os.path.join(d, 'key.pem')
        with open(cert, 'w') as f:
            f.write(_pem('CERTIFICATE', certfile))
        with open(key, 'w') as f:
            f.write(_pem('EC PRIVATE KEY', keyfile))
        super().load_cert_chain(cert, key)
