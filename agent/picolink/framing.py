# Line framing of the control channel (docs/protocol.md#framing): one JSON object per
# `\n`-terminated line of strict UTF-8, with a hard maximum. Pure: no sockets or clock;
# packages/protocol's LineDecoder follows the same rules (test-vectors/ check both).
from picolink.errors import err
from picolink.rt import use


class LineDecoder:
    """Bytes in, lines out. Holds at most `max` bytes of an unfinished line; a longer line
    gives one PL_ERR_FRAME_TOO_LARGE and is discarded up to its newline. push() returns
    lines (bytes, valid UTF-8, without the newline and one trailing CR; blank lines
    skipped) and PicolinkErrors, in order."""

    def __init__(self, limit):
        self.max = limit
        self.buf = bytearray()
        self.skip = False

    def push(self, data):
        out = []
        start = 0
        n = len(data)
        while start <= n:
            end = data.find(b'\n', start)
            if end < 0:
                if start < n and not self.skip:
                    if len(self.buf) + n - start > self.max:
                        self.buf = bytearray()
                        self.skip = True
                        out.append(err('large', self.max))
                    else:
                        self.buf.extend(data[start:])
                return out
            if self.skip:
                self.skip = False
            elif len(self.buf) + end - start > self.max:
                self.buf = bytearray()
                out.append(err('large', self.max))
            else:
                if self.buf:
                    self.buf.extend(data[start:end])
                    line = bytes(self.buf)
                    self.buf = bytearray()
                else:
                    line = data[start:end]
                if line and line[-1] == 13:
                    line = line[:-1]
                if line.strip(b' \t\r'):
                    # Strict UTF-8, as a fatal TextDecoder: ASCII here, the rest (no
                    # overlong forms, surrogates or code points past U+10FFFF) by strings.py.
                    ok = max(line) < 0x80 or use('strings', 'utf8_ok', line)
                    out.append(line if ok else err('utf8'))
            start = end + 1
        return out
