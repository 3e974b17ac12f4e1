# Installing an update (docs/protocol.md#action-update), in the order that survives a
# power cut at any point: each file is decoded, checked against its SHA-256 and written
# beside the old one as NAME.new, then read back; the update marker is set; each old file
# becomes NAME.bak and the .new file moves into place. main.py checks the marker at the
# next start, rolls back if the new files do not start, and clears it once they do.
# Imported only while an update runs.
import binascii
import gc
import hashlib
import json
import os

from picolink.errors import PicolinkError, err
from picolink.rt import use

MARKER = '.picolink-update.json'
STATUS = '.picolink-last-update.json'
_B64 = b'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/='


def _safe_name(name):
    """A relative path of 1-64 of A-Z a-z 0-9 _ . - /, without "..", "." or empty parts."""
    if not 0 < len(name) <= 64 or '..' in name:
        return False
    for c in name:
        if not ('a' <= c <= 'z' or 'A' <= c <= 'Z' or '0' <= c <= '9' or c in '_.-/'):
            return False
    for part in name.split('/'):
        if part in ('', '.'):
            return False
    return True


def coerce(field, kind, v):
    """An update's `files` (kind "files": name -> content) or `sha256` ("hashes": name ->
    SHA-256 hex, lower-cased) as received, checked; for proto.validate()."""
    files = kind == 'files'
    if not isinstance(v, dict):
        raise use('fault', 'bad_type', field, 'an object of file name to ' + ('content' if files else 'SHA-256 hex digest'), v)
    if files and not v:
        raise PicolinkError('PL_ERR_OUT_OF_RANGE', 'field "%s" must name at least one file' % field)
    out = {}
    for name, x in v.items():
        if not _safe_name(name):
            raise PicolinkError('PL_ERR_UPDATE_FILE', 'field "%s" has an unsafe file name %s; use a relative path of at most 64 letters, digits, "_", "-", "." and "/", without "..", "." or empty parts' % (field, use('fault', 'describe', name)))
        if files:
            if not isinstance(x, str):
                raise use('fault', 'bad_type', field + '.' + name, 'a string', x)
        elif not isinstance(x, str) or len(x) != 64 or [c for c in x if c not in '0123456789abcdefABCDEF']:
            raise use('fault', 'bad_type', field + '.' + name, 'a SHA-256 digest (64 hex digits)', x)
        else:
            out[name] = x.lower()
    return v if files else out


def check_hashes(files, hashes):
    """PL_ERR_UPDATE_HASH unless `hashes` has a digest for each of `files`; for
    proto.validate()."""
    lacking = [n for n in files if n not in hashes]
    if lacking:
        raise err('hash', ', '.join(lacking))


def exists(name):
    try:
        os.stat(name)
        return True
    except OSError:
        return False


def remove(name):
    try:
        os.remove(name)
    except OSError:
        pass


def _makedirs(name):
    path = ''
    for part in name.split('/')[:-1]:
        path = path + '/' + part if path else part
        if not exists(path):
            os.mkdir(path)


def _sha256_hex(data):
    return binascii.hexlify(hashlib.sha256(data).digest()).decode()


def _inflate(data):
    try:
        import deflate
        import io
        return deflate.DeflateIO(io.BytesIO(data), deflate.ZLIB).read()
    except ImportError:
        import zlib
        return zlib.decompress(data)


def _decode(name, content, compress):
    if not compress:
        return content.encode()
    text = content.encode()
    for ws in (b' ', b'\n', b'\r', b'\t'):
        text = text.replace(ws, b'')
    ok = len(text) % 4 == 0
    if ok:
        for i in range(len(text)):
            c = text[i]
            if c not in _B64 or (c == 0x3D and i < len(text) - 2) or (c != 0x3D and i > 0 and text[i - 1] == 0x3D):
                ok = False
                break
    if not ok:
        raise PicolinkError('PL_ERR_UPDATE_FILE', '"%s" is not valid base64; with "compress" every file must be base64 of zlib data' % name)
    try:
        return _inflate(binascii.a2b_base64(text))
    except Exception as e:
        raise PicolinkError('PL_ERR_UPDATE_FILE', '"%s" is not zlib data (%s); compress with zlib (RFC 1950), then base64' % (name, e))


def _write(name, data):
    _makedirs(name)
    with open(name, 'wb') as f:
        f.write(data)


def install(fields):
    """Steps up to the swap; returns the names written. The caller restarts."""
    files = fields['files']
    names = sorted(files)
    digests = fields.get('sha256')
    for name in names:
        if name in (MARKER, STATUS) or name.endswith('.new') or name.endswith('.bak'):
            raise PicolinkError('PL_ERR_UPDATE_FILE', 'file name "%s" is reserved for the update procedure; rename the file' % name)
    written = []
    try:
        for name in names:
            data = _decode(name, files[name], fields.get('compress'))
            digest = _sha256_hex(data)
            if digests is not None and digests[name] != digest:
                raise PicolinkError('PL_ERR_UPDATE_HASH', '"%s" has SHA-256 %s, expected %s; nothing was replaced' % (name, digest, digests[name]))
            written.append(name)
            try:
                _write(name + '.new', data)
                with open(name + '.new', 'rb') as f:
                    back = _sha256_hex(f.read())
            except OSError as e:
                raise PicolinkError('PL_ERR_UPDATE_FILE', 'cannot write the new files: %s; nothing was replaced' % e)
            if back != digest:
                raise PicolinkError('PL_ERR_UPDATE_FILE', '"%s" did not read back as written; is the device\'s storage full?' % name)
            data = None
            gc.collect()
    except Exception:
        for name in written:
            remove(name + '.new')
        raise
    backed_up = [n for n in names if exists(n)]
    with open(MARKER, 'w') as f:
        json.dump({'files': names, 'backed_up': backed_up, 'state': 'pending'}, f)
    for name in names:
        if name in backed_up:
            remove(name + '.bak')
            os.rename(name, name + '.bak')
        os.rename(name + '.new', name)
    return names

