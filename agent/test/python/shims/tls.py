# CPython stand-in for MicroPython's `tls` module: its SSLContext.load_cert_chain takes
# the certificate and key as DER bytes (what the Pico W loads); CPython's wants PEM files.
import base64
import os
import ssl
import tempfile

PROTOCOL_TLS_SERVER = ssl.PROTOCOL_TLS_SERVER
PROTOCOL_TLS_CLIENT = ssl.PROTOCOL_TLS_CLIENT


def _pem(label, der):
    body = base64.encodebytes(der).decode()
    return '-----BEGIN %s-----\n%s-----END %s-----\n' % (label, body, label)


class SSLContext(ssl.SSLContext):
    def load_cert_chain(self, certfile, keyfile=None):
        d = tempfile.mkdtemp(prefix='picolink-tls-')
        cert = os.path.join(d, 'cert.pem')
        key = os.path.join(d, 'key.pem')
        with open(cert, 'w') as f:
            f.write(_pem('CERTIFICATE', certfile))
        with open(key, 'w') as f:
            f.write(_pem('EC PRIVATE KEY', keyfile))
        super().load_cert_chain(cert, key)
