# A line too large or not UTF-8 (docs/protocol.md#framing): the stream can no longer be
# trusted to be in step, so the connection answers with the error and closes. Rare, so
# session.py loads this only then and lets it go again.
from picolink import proto
from picolink.rt import wait_for_ms


async def close(s, e):
    s._queue(proto.failure(None, None, e))
    s._say(e.code + '; closing')
    s.open = False
    await s._send()
    # Read what the peer still sends for a moment, so closing is a FIN, not a reset
    # that could destroy the error response on its way.
    try:
        while True:
            data = await wait_for_ms(s._r.read(1024), 200)
            if not data:
                return
    except Exception:
        pass
