# One connection (docs/protocol.md#connections). Bytes become lines (LineDecoder), lines
# become frames, requests are handled strictly in order, and every response produced for
# one received chunk leaves in one write. A framing error, a silent peer or a peer that
# does not read ends this connection only. Mirrors packages/device/src/session.ts.
import asyncio
import time

from picolink import actions, proto
from picolink.errors import PicolinkError, err, to_error
from picolink.framing import LineDecoder
from picolink.rt import release

_READ = 1024


class Session:
    # Defaults as class attributes: a client connection sets fewer of its own, and each
    # costs a board heap. A hub link (home.py) sets label, heartbeat and limits.
    label = 'client'
    secure = False
    heartbeat = 0
    limits = None  # (hello, idle) timeouts in ms; None: the configuration's
    open = True
    _own = 1
    _pinged = None  # when the device last pinged it; None: never, so as long ago as heard

    def __init__(self, dev, reader, writer, cid, secure, label=None):
        cfg = dev.cfg
        self.dev = dev
        self.id = cid
        if secure:
            self.secure = True
        if label:
            self.label = label
        self._r = reader
        self._w = writer
        self.decoder = LineDecoder(cfg['max_frame_bytes'])
        self._out = []
        self._out_len = 0
        self._deferred = None  # events raised while a request is handled follow its response
        self.task = None
        # Five flags in one int, as each attribute costs a board heap:
        #   1 greeted: a frame came, so the idle timeout applies, not the hello timeout
        #     (docs/protocol.md#timeouts);
        #   2 served: a valid request came; until then the device may evict this
        #     connection when it is full (docs/protocol.md#connections);
        #   4 answers pings: it sent a request with an id, or answered one, so the
        #     controller check pings it (piconetcontrol's client does not answer);
        #   8 busy: a received chunk is being handled; 16 sending: _send is writing;
        #   32 ended: its goodbye is done (hangup.py).
        self.flags = 0
        self.heard = time.ticks_ms()
        try:
            self.peer = '%s:%s' % writer.get_extra_info('peername')[:2]
        except Exception:
            self.peer = '?'

    def _say(self, msg):
        # A log line about this connection.
        self.dev.log('%s %s (#%d): %s' % (self.label, self.peer, self.id, msg))

    # ---- output

    def _queue(self, data):
        self._out.append(data)
        self._out_len += len(data)
        if self._out_len > self.dev.cfg['max_output_bytes']:
            e = err('slow', self._out_len)
            self._say(e.code + ': ' + e.msg)
            self._out = []
            self._out_len = 0
            self.open = False
            self._abort()

    async def _send(self):
        # One sender at a time; it keeps going until nothing is queued, so output from
        # other tasks (events) and from the reader stays in order.
        if self.flags & 16:
            return
        self.flags |= 16
        try:
            while self._out:
                data = self._out[0] if len(self._out) == 1 else b''.join(self._out)
                self._out = []
                self._out_len = 0
                self._w.write(data)
                await self._w.drain()
        except Exception:
            self._abort()
        finally:
            self.flags &= ~16

    def pin_change(self, pin, level, cause):
        """Pushes a pin_change event (docs/protocol.md#pin-change) to this connection."""
        if not self.open:
            return
        fields = [('event', 'pin_change'), ('pin', pin), ('value', level), ('cause', cause), ('t', self.dev.uptime())]
        ms = self.dev.unix_ms()
        if ms is not None:
            fields.append(('time', ms))
        data = proto.event(fields)
        if self._deferred is not None:
            self._deferred.append(data)
            return
        self._queue(data)
        if not self.flags & 8 and self.open:
            asyncio.create_task(self._send())

    def close_by_device(self, code, msg=None):
        """Ends the connection from the device side, with a `closing` event saying why:
        `code` and `msg`, or a PicolinkError as `code`."""
        if not self.open:
            return
        self.open = False
        if msg is None:
            code, msg = code.code, code.msg
        self._queue(proto.event([('event', 'closing'), ('code', code), ('error', msg)]))
        self._abort()

    def _abort(self):
        # Stops this connection's reader; it says goodbye on its way out.
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()

    # ---- input

    def _ping(self, now):
        self._own += 1
        self._pinged = now
        self._queue(proto.event([('id', 'd%d' % self._own), ('action', 'ping')]))
        asyncio.create_task(self._send())

    def check_idle(self, now):
        """Closes the connection when no frame came for the idle timeout, or no first frame
        within the hello timeout of connecting (0: never). A hub link pings the hub after a
        heartbeat of silence. A controller of outputs with safe values is pinged after half
        the controller timeout of silence and taken as gone after all of it
        (docs/protocol.md#silent-controllers)."""
        quiet = time.ticks_diff(now, self.heard)
        hb = self.heartbeat
        if hb and quiet >= hb and (self._pinged is None or time.ticks_diff(now, self._pinged) >= hb):
            self._ping(now)
        cfg = self.dev.cfg
        ct = cfg['controller_timeout_ms']
        if ct and quiet >= ct // 2 and self.dev.pins.owns_failsafe(self.id):
            if quiet >= ct:
                e = err('silent', quiet)
                self._say(e.msg)
                # The failsafe now, not when the socket has finally closed.
                self.dev.pins.release_owner(self.id)
                self.close_by_device(e)
                return
            if self.flags & 4 and (self._pinged is None or time.ticks_diff(self._pinged, self.heard) <= 0):
                self._ping(now)
        limits = self.limits or (cfg['hello_timeout_ms'], cfg['idle_timeout_ms'])
        limit = limits[1] if self.flags & 1 or hb else limits[0]
        if not limit or quiet < limit:
            return
        e = err('idle' if self.flags & 1 or hb else 'hello', limit)
        self._say(e.msg)
        self.close_by_device(e)

    async def run(self, first=None):
        """Serves the connection until it ends; `first`: lines already read (a hub link's)."""
        self.dev.log('%s %s connected (#%d%s)' % (self.label, self.peer, self.id, ', TLS' if self.secure else ''))
        self.task = asyncio.current_task()
        try:
            if first:
                await self._chunk(first, self.dev.unix_ns())
            while self.open:
                # No timeout here: the device's idle check cancels this task when the peer
                # is silent too long, so a read costs no extra task.
                data = await self._r.read(_READ)
                if not data:
                    break
                items = self.decoder.push(data)
                if items:
                    await self._chunk(items, self.dev.unix_ns())
        except asyncio.CancelledError:
            pass
        except Exception as e:
            from picolink.neterr import reason
            self._say(reason(e, self.secure and not self.flags & 1))
        finally:
            self.open = False
            # The failsafe, the goodbye and the log line: once per connection, so
            # hangup.py is loaded for the moment.
            from picolink import hangup
            aw = hangup.end(self)
            release('hangup')
            await aw

    async def _chunk(self, items, t_ns):
        # The frames of one received chunk, in order; their answers leave in one write.
        self.flags |= 9  # greeted, busy
        self.heard = time.ticks_ms()
        try:
            for item in items:
                if not self.open:
                    break
                await self._handle(item, t_ns)
        finally:
            self.flags &= ~8
        await self._send()

    async def _handle(self, item, t_ns):
        if isinstance(item, PicolinkError):
            # Too large or not UTF-8: rare, so badline.py is loaded for the moment.
            from picolink import badline
            aw = badline.close(self, item)
            release('badline')
            await aw
            return
        try:
            frame = proto.parse_frame(item)
        except PicolinkError as e:
            self._queue(proto.failure(None, None, e))
            return
        kind = proto.message_kind(frame)
        if kind == 'response':
            self.flags |= 4  # answers pings
        if kind == 'response' or kind == 'event':
            return  # answers to the device's pings, and events, need no reply
        try:
            action, fields = proto.validate(frame)
        except PicolinkError as e:
            self._queue(proto.failure(item, frame, e))
            return
        self.flags |= 2 if frame.get('id') is None else 6  # served; answers pings
        self._deferred = []
        try:
            results = actions.run(self.dev, action, fields, self)
            if not isinstance(results, list):
                results = await results
            out = proto.success(item, frame, results, t_ns)
        except Exception as e:
            err = to_error(e)
            if err.code == 'PL_ERR_INTERNAL':
                self._say(err.msg)
            out = proto.failure(item, frame, err)
        events = self._deferred
        self._deferred = None
        self._queue(out)
        for e in events:
            self._queue(e)
