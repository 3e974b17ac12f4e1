# The agent's network edge (what picolink/net.py offers) for MicroPython on
# WebAssembly, which has no sockets: Node's sockets do the work, through the JS module
# _jsnet_host that test/harness/mpy-host.ts registers. Bytes from JS arrive as
# Uint8Array (bytes() copies them); bytes to JS go as hex text, since JS cannot read a
# Python bytes object directly.
import binascii

import _jsnet_host as host


class Stream:
    """An asyncio stream (read, write, drain, close, wait_closed) over one connection."""

    def __init__(self, cid, peer):
        self._cid = cid
        self._peer = peer
        self._pending = None

    async def read(self, n):
        # A read cancelled by a timeout leaves its promise here for the next read, so no
        # data is lost between them.
        if self._pending is None:
            self._pending = host.read(self._cid, n)
        data = await self._pending
        self._pending = None
        return b'' if data is None else bytes(data)

    def write(self, data):
        host.write(self._cid, binascii.hexlify(data).decode())

    async def drain(self):
        await host.drain(self._cid)

    def close(self):
        host.close(self._cid)

    async def wait_closed(self):
        pass

    def get_extra_info(self, name):
        return (self._peer, 0) if name == 'peername' else None


async def start_server(handler, hostname, port, ssl=None):
    import asyncio
    if ssl is not None:
        raise OSError('TLS is not available in MicroPython on WebAssembly')

    def on_connection(cid, peer):
        s = Stream(cid, peer)
        asyncio.create_task(handler(s, s))

    bound = await host.listen(hostname, port, on_connection)
    return None, bound


async def open_connection(hostname, port, ssl=None):
    if ssl is not None:
        raise OSError('TLS is not available in MicroPython on WebAssembly')
    cid = await host.connect(hostname, port)
    if cid < 0:
        raise OSError(-cid)  # an errno, as MicroPython raises it (111: connection refused)
    s = Stream(cid, hostname)
    return s, s


class Udp:
    def __init__(self, hostname, port):
        self._id = host.udp(hostname, port)

    def send(self, data):
        host.udp_send(self._id, binascii.hexlify(data).decode())

    def recv(self):
        data = host.udp_recv(self._id)
        return None if data is None else bytes(data)


def udp(hostname, port):
    return Udp(hostname, port)
