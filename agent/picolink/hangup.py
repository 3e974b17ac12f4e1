# The end of a connection (docs/protocol.md#connections): the failsafe applies to the pins
# it owned and its watches end, what is still queued for the peer leaves, the socket closes,
# and the log says so. Once per connection, so session.py loads this only then.
from picolink.rt import sleep_ms, wait_for_ms


async def end(s):
    # Failsafe first, while other watchers can still hear it; then the goodbye.
    s.dev.detach(s)
    try:
        await wait_for_ms(_finish(s), 1000)
    except Exception:
        pass
    s.dev.log('%s %s disconnected (#%d)' % (s.label, s.peer, s.id))
    s.flags |= 32  # ended: what power.py waits for before the board stops


async def _finish(s):
    while s.flags & 16:  # sending
        await sleep_ms(5)
    await s._send()
    try:
        s._w.close()
        await s._w.wait_closed()
    except Exception:
        pass
