# CPython stand-in for MicroPython's `tls` module: its SSLContext.load_cert_chain takes
# the certificate and key as DER bytes (what the Pico W loads); CPython's wants PEM files.
# A client context checks no host name, as MicroPython's does not.
import base64
import os
import ssl
import tempfile

PROTOCOL_TLS_SERVER = ssl.PROTOCOL_TLS_SERVER
PROTOCOL_TLS_CLIENT = ssl.PROTOCOL_TLS_CLIENT
CERT_NONE = ssl.CERT_NONE
CERT_REQUIRED = ssl.CERT_REQUIRED


def _pem(label, der):
    body = base64.encodebytes(der).decode()
    return '-----BEGIN %s-----\n%s-----END %s-----\n' % (label, body, label)


class SSLContext(ssl.SSLContext):
    def __init__(self, protocol):
        # MicroPython's client context checks no host name; CPython's wants that turned
        # off before verify_mode may be CERT_NONE.
        if protocol == PROTOCOL_TLS_CLIENT:
            self.check_hostname = False

    def load_cert_chain(self, certfile, keyfile=None):
        d = tempfile.mkdtemp(prefix='picolink-tls-')
        cert = os.path.join(d, 'cert.pem')
        key = os.path.join(d, 'key.pem')
        with open(cert, 'w') as f:
            f.write(_pem('CERTIFICATE', certfile))
        with open(key, 'w') as f:
            f.write(_pem('EC PRIVATE KEY', keyfile))
        super().load_cert_chain(cert, key)
