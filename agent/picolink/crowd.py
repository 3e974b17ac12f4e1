# A full device (docs/protocol.md#connections): making room by evicting a connection that
# has sent no valid request, and refusing a connection there is no room for. Rare, so
# app.py loads this only then and lets it go again.
from picolink.errors import err
from picolink.proto import event
from picolink.rt import sleep_ms


def evict_one(dev, n):
    # The oldest connection that has sent no valid request yet makes room, so idle
    # sockets cannot lock controllers out. Sessions are kept oldest first.
    for s in dev.sessions:
        if not s.flags & 2:  # not served
            dev.log('client %s (#%d) evicted: the device is full and it has sent no request' % (s.peer, s.id))
            s.close_by_device(err('evicted', n))
            dev.sessions.remove(s)
            return


async def refuse(dev, writer, n):
    # Restarting or asleep: nobody answers. Full: say why before closing.
    if dev.state == 'running':
        dev.log('client refused: %d clients already connected' % n)
        e = err('full', n)
        writer.write(event([('event', 'closing'), ('code', e.code), ('error', e.msg)]))
    try:
        await writer.drain()
        await sleep_ms(200)
        writer.close()
        await writer.wait_closed()
    except Exception:
        pass
