# The fuzzer's frames through the agent's codec (docs/fuzzing.md), as a session handles
# them (session.py _handle, without running the action): framing, parse_frame,
# message_kind, validate, then the success or error reply, and read_welcome for answers.
# Every frame must end in a reply the codec itself can read back, with a known code when
# it is an error, or in a PicolinkError with a known code: never another exception.
#
# The corpus is written by agent/test/fuzz-codec.test.ts: one frame a line, "INDEX CHUNK
# CHUNK ...", each chunk base64, the chunks together being the frame and its line ending
# cut as they would arrive. Runs under CPython (with the MicroPython shims) and inside
# MicroPython:
#   python3 agent/test/python/fuzz_codec.py AGENT_DIR CORPUS
import binascii
import sys

if __name__ == '__main__':
    # Under CPython: the MicroPython shims and the agent on the path first.
    import os

    sys.path[:0] = [os.path.join(os.path.dirname(os.path.abspath(__file__)), 'shims'), sys.argv[1]]
    import cpython_compat

    cpython_compat.install()

from picolink import errors, framing, home, jsontext, proto  # noqa: E402

MAX_FRAME_BYTES = 65536
# Failures reported in full; the rest are counted.
_SHOWN = 20


def known(code):
    return isinstance(code, str) and code[:7] == 'PL_ERR_' and code[7:] in home.CODES


def reply_problem(out):
    """What is wrong with a reply (bytes), or None."""
    if not isinstance(out, bytes) or out[-1:] != b'\n':
        return 'the reply is not one line'
    try:
        v = jsontext.loads(out[:-1])
    except errors.PicolinkError as e:
        return 'the reply does not parse: %s' % e.msg
    if not isinstance(v, dict):
        return 'the reply is not an object'
    if v.get('ok') is False and not known(v.get('code')):
        return 'an error reply with unknown code %r' % (v.get('code'),)
    return None


def handle(item):
    """The reply to one decoded item, or None when none is owed."""
    if isinstance(item, errors.PicolinkError):
        return proto.failure(None, None, item)
    try:
        frame = proto.parse_frame(item)
    except errors.PicolinkError as e:
        return proto.failure(None, None, e)
    kind = proto.message_kind(frame)
    if kind == 'response' or kind == 'event':
        # What a device does with the hub's answer to its hello.
        try:
            home.read_welcome(frame)
        except errors.PicolinkError as e:
            if not known(e.code):
                raise
        return None
    try:
        action, fields = proto.validate(frame)
    except errors.PicolinkError as e:
        return proto.failure(item, frame, e)
    return proto.success(item, frame, [('action_checked', action)], 0)


def run(path):
    """(frames, failures): every frame of the corpus through the codec."""
    count = 0
    failures = []
    with open(path, 'rb') as f:
        while True:
            raw = f.readline()
            if not raw:
                break
            parts = raw.split()
            if not parts:
                continue
            count += 1
            index = parts[0].decode()
            decoder = framing.LineDecoder(MAX_FRAME_BYTES)
            try:
                for chunk in parts[1:]:
                    for item in decoder.push(binascii.a2b_base64(chunk)):
                        out = handle(item)
                        problem = out is not None and reply_problem(out)
                        if problem:
                            failures.append('#%s: %s' % (index, problem))
            except errors.PicolinkError as e:
                if not known(e.code):
                    failures.append('#%s: PicolinkError with unknown code %r' % (index, e.code))
            except Exception as e:  # noqa: BLE001 (any other exception is the finding)
                failures.append('#%s: %s: %s' % (index, type(e).__name__, str(e)[:200]))
    return count, failures


def main(path):
    count, failures = run(path)
    for line in failures[:_SHOWN]:
        print('FAIL ' + line)
    print('fuzzed %d frames, %d failures' % (count, len(failures)))
    return len(failures) == 0


if __name__ == '__main__':
    sys.exit(0 if main(sys.argv[2]) else 1)
