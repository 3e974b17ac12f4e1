# The agent's network edge, kept small on purpose: a TCP (or TLS) listener whose
# connections are asyncio streams, an outgoing connection (dial-home) and a non-blocking
# UDP socket. On MicroPython a TLS stream runs its handshake inside its first read or
# write, not in start_server/open_connection. This is the board's (and CPython's)
# implementation; app.main() takes any object with the same functions, which is how the
# tests run the agent inside MicroPython-on-WebAssembly with sockets provided by Node.
import asyncio
import socket


async def start_server(handler, host, port, ssl=None):
    """Listens; handler(reader, writer) runs as a task per connection. Returns
    (server, bound port)."""
    server = await asyncio.start_server(handler, host, port, ssl=ssl)
    socks = getattr(server, 'sockets', None)
    return server, socks[0].getsockname()[1] if socks else port


async def open_connection(host, port, ssl=None):
    """Connects out (dial-home); returns (reader, writer)."""
    return await asyncio.open_connection(host, port, ssl=ssl)


class Udp:
    """A UDP socket talking to one peer; recv() never blocks."""

    def __init__(self, host, port):
        self._addr = socket.getaddrinfo(host, port, 0, socket.SOCK_DGRAM)[0][-1]
        self._s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._s.setblocking(False)

    def send(self, data):
        try:
            self._s.sendto(data, self._addr)
        except OSError:
            pass  # no route yet, buffer full: a lost reading, as UDP allows

    def recv(self):
        try:
            return self._s.recv(1024)
        except OSError:
            return None

    def close(self):
        self._s.close()


def udp(host, port):
    return Udp(host, port)
