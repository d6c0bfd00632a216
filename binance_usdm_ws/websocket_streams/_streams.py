"""The user data stream: from a listenKey to typed events, kept alive and reconnected by itself.

Threads of one ``UserDataStream`` (all daemon threads, all joined by ``close()``):

* the socket's reader (and its heartbeat), from ``Connection``: appends each message to the
  bounded buffer of ``StreamConsumer`` and never waits (see its overflow policy). It also
  spots ``listenKeyExpired`` itself, so expiry is handled even when the consumer is slow;
* the supervisor: the only thread that changes the connection. It serves commands one at a
  time — ``lost`` (the socket dropped or its heartbeat saw silence for ``silence_timeout``),
  ``expired`` (``listenKeyExpired`` or ``-1125``), ``rotate`` (timer) — with exponential
  backoff and jitter, and puts a ``StreamGap`` in the buffer *before* the first message of the
  new socket, so gaps arrive exactly where events may be missing;
* a keepalive worker, started by a scheduler timer every ``keepalive_interval``: it sends
  ``userDataStream.ping`` over the WS API, retries with backoff, reports failures through
  ``on_error``; it never touches event delivery;
* the delivery thread, only when callbacks are registered (``on``/``on_any``).

Rotation (before Binance's 24-hour limit) is make-before-break on the same listenKey: the new
socket opens, both sockets deliver for a one-second overlap, then the old one is closed. The
server sends each event to both sockets during the overlap; the copies are removed (exact
payload match; the copy that arrives first on a live socket is kept, which preserves the
order), so a rotation yields neither duplicates nor a gap. If the old socket does not close
cleanly — so it may have lost frames before the new one opened — a ``StreamGap`` with reason
``"reconnect"`` says so. The same removal of copies covers a key renewal while the old socket
is still open. Residual limit: an event the server sent only to the old socket (before the new
one was registered) that reaches the client later than newer events on the new socket would
be delivered after them; on one host this takes the old socket lagging by the whole overlap.
"""

from __future__ import annotations

import collections
import itertools
import json
import logging
import queue
import random
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from .._config import ConfigurationWebsocketStreams
from .._core._connection import Connection
from .._core._redact import mask
from .._core._scheduler import Scheduler, TimerHandle
from .._core._stream_delivery import StreamConsumer, StreamGap, now_ms
from .._core._transport import connect_options
from ..errors import BinanceWsError, ConnectionClosed, InvalidRequest, ServerError
from ._events import UserDataEvent, decode_event

if TYPE_CHECKING:
    from ..websocket_api._websocket_api import WebsocketApi

__all__ = ["StreamGap", "StreamItem", "UserDataStream"]

logger = logging.getLogger("binance_usdm_ws")

_counter = itertools.count(1)
_PENDING, _ACTIVE, _DRAINING, _RETIRED = "pending", "active", "draining", "retired"
#: Both sockets stay open this long after a rotation's new socket is installed.
_ROTATION_OVERLAP = 1.0
#: Copies are looked for until this long after the old socket of a rotation is closed.
_DEDUPE_GRACE = 5.0
_INVALID_LISTEN_KEY = -1125


class _Link:
    """One stream socket and what the stream knows about it."""

    __slots__ = ("conn", "key", "number", "state", "buffer")

    def __init__(self, key: str, number: int) -> None:
        self.conn: Optional[Connection] = None
        self.key = key
        self.number = number  # timers name a link by number: they never hold a dead socket
        self.state = _PENDING  # messages are buffered until the link is installed
        self.buffer: list[Any] = []


class _Seen:
    """Payloads delivered recently (bounded), to drop the copies of a rotation's overlap."""

    def __init__(self, limit: int = 10_000) -> None:
        self._set: set[str] = set()
        self._order: collections.deque[str] = collections.deque()
        self._limit = limit

    def add(self, message: Any) -> bool:
        """Record ``message``; return False if an identical payload was recorded before."""
        fp = json.dumps(message, sort_keys=True, separators=(",", ":"))
        if fp in self._set:
            return False
        self._set.add(fp)
        self._order.append(fp)
        if len(self._order) > self._limit:
            self._set.discard(self._order.popleft())
        return True


#: What a stream yields: a typed event or a gap notice.
StreamItem = Union[UserDataEvent, StreamGap]


def _decode_user_data(message: Any) -> StreamItem:
    """One buffered message → its event (the ``{"stream","data"}`` envelope unwrapped)."""
    if type(message) is dict and "data" in message and "stream" in message:
        message = message["data"]  # combined-stream envelope
    return decode_event(message)


class UserDataStream(StreamConsumer[StreamItem]):
    """The account's user data stream: typed events, kept alive and reconnected by itself.

    Made by ``client.user_data_stream()``. Use it as a context manager (``start()`` on enter,
    ``close()`` on exit) and iterate it, or register callbacks::

        with client.user_data_stream() as stream:
            for item in stream:               # typed events and StreamGap notices, in order
                ...

    ``start()`` starts a listenKey (``userDataStream.start`` over the WS API, which must be
    connected) and opens ``<streams base>/private/ws/<listenKey>``. From then on the stream
    pings the key every ``keepalive_interval``, reconnects after drops and silence, replaces an
    expired key, rotates the socket before 24 h, and delivers a ``StreamGap`` wherever events
    may be missing. ``close()`` stops the key (``userDataStream.stop``), closes the socket and
    joins every thread; it is idempotent and never raises.

    Counters (for diagnostics): ``reconnects`` (sockets replaced after a loss or an expiry),
    ``key_renewals`` (of those, on a new key), ``rotations``, ``keepalives`` (successful
    pings), ``duplicates`` (copies removed during overlaps), ``dropped`` (overflow).
    """

    def __init__(
        self,
        websocket_api: WebsocketApi,
        config: ConfigurationWebsocketStreams,
        scheduler: Scheduler,
        on_closed: Optional[Callable[[UserDataStream], None]] = None,
    ) -> None:
        self._n = next(_counter)
        super().__init__(
            config.queue_size, f"binance-usdm-ws-uds{self._n}", decode=_decode_user_data
        )
        self._api = websocket_api
        self._config = config
        self._scheduler = scheduler
        self._on_closed = on_closed
        self._key: Optional[str] = None
        self._link: Optional[_Link] = None
        self._links = itertools.count(1)
        self._commands: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._state = "new"  # new -> starting -> running -> closing -> closed
        self._supervisor: Optional[threading.Thread] = None
        self._keepalive: Optional[threading.Thread] = None
        self._timers: dict[str, TimerHandle] = {}
        self._seen: Optional[_Seen] = None
        self._seen_until = 0.0
        self._key_ok_ms = 0  # when the key was last known valid (start, ping, an event)
        self.reconnects = 0
        self.key_renewals = 0
        self.rotations = 0
        self.keepalives = 0
        self.duplicates = 0

    # ------------------------------------------------------------------ public

    @property
    def listen_key(self) -> Optional[str]:
        """The listenKey in use (a bearer secret, do not log it), or None before ``start()``."""
        return self._key

    @property
    def connection(self) -> Optional[Connection]:
        """The current stream socket (for diagnostics)."""
        link = self._link
        return None if link is None else link.conn

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._state in ("closing", "closed")

    def start(self) -> UserDataStream:
        """Start a listenKey and connect the stream; does nothing if already started.

        Raises:
            ConnectionClosed: the WS API is not connected, or the stream host is unreachable.
            ServerError: ``userDataStream.start`` was refused (e.g. invalid API key).
            InvalidRequest: the stream was closed.
        """
        with self._cond:
            if self._state != "new":
                if self.closed:
                    raise InvalidRequest("this user data stream is closed")
                return self
            self._state = "starting"
        self._scheduler.attach(self)  # detached by close(), or below if the start fails
        try:
            key = self._start_key()
            link = self._open(key)
        except BaseException:
            with self._cond:
                self._state = "new"
            self._scheduler.detach(self)
            raise
        if not self._install(link, None, None):
            assert link.conn is not None
            link.conn.close(0)
            with self._cond:
                self._state = "new" if not self.closed else self._state
            self._scheduler.detach(self)
            raise ConnectionClosed("the stream connection closed right after it opened")
        with self._cond:
            if self._stop.is_set():  # closed meanwhile, from another thread
                return self
            self._state = "running"
            self._delivery_wanted = True
            # Under the lock: close() either sees this thread and joins it, or never runs it.
            self._supervisor = threading.Thread(
                target=self._supervise, name=f"{self._name}-supervisor", daemon=True
            )
            self._supervisor.start()
        self._schedule("keepalive", self._config.keepalive_interval, self._keepalive_due)
        self._start_delivery()
        logger.info("%s: started on listenKey %s", self._name, mask(key))
        return self

    def close(self) -> None:
        """Stop the listenKey, close the socket and join every thread. Idempotent; never raises.

        The delivery thread finishes the callback in progress (``close()`` waits for it: a
        callback that never returns blocks it) and stops; events already received stay
        available to ``get()``/iteration, which end once they are consumed. A failed
        ``userDataStream.stop`` is logged, not raised.
        """
        with self._cond:
            if self._state in ("closing", "closed"):
                return
            started = self._state != "new"
            self._state = "closing"
            self._stop.set()  # under the lock: no keepalive worker starts after this
        self._commands.put(("stop",))
        with self._cond:  # _schedule adds no timer once _stop is set (under this lock)
            for timer in self._timers.values():
                timer.cancel()
        self._scheduler.detach(self)
        with self._cond:
            threads = (self._supervisor, self._keepalive)
        for thread in threads:
            if thread is not None and thread is not threading.current_thread():
                thread.join()
        with self._cond:
            link, self._link = self._link, None
            if link is not None:
                link.state = _RETIRED
        if link is not None and link.conn is not None:
            link.conn.close(self._config.close_timeout)
        if started and self._key is not None:
            try:
                self._api.user_data_streams_api.close_user_data_stream().execute()
            except BinanceWsError as exc:
                logger.warning("%s: userDataStream.stop failed: %s", self._name, exc)
        self._end_delivery()
        with self._cond:
            self._state = "closed"
        if self._on_closed is not None:
            self._on_closed(self)
        self._scheduler.join_idle(self._config.close_timeout)  # if the WS API is closed too
        logger.info("%s: closed", self._name)

    def __enter__(self) -> UserDataStream:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __iter__(self) -> UserDataStream:
        if self._state == "new":
            self.start()
        return self

    def __next__(self) -> StreamItem:
        return super().__next__()

    def get(self, timeout: Optional[float] = None) -> Optional[StreamItem]:
        """Start the stream if needed, then return the next event or gap (see the base class)."""
        if self._state == "new":
            self.start()
        return super().get(timeout)

    def __repr__(self) -> str:
        return f"<UserDataStream listenKey={mask(self._key)} {self._state} pending={self.pending}>"

    # ------------------------------------------------------------------ keys and sockets

    def _start_key(self) -> str:
        resp = self._api.user_data_streams_api.start_user_data_stream().execute()
        key = resp.raw.get("result", {}).get("listenKey")
        if not isinstance(key, str) or not key:
            raise ServerError(status=None, code=None, msg="userDataStream.start: no listenKey")
        self._key_ok_ms = now_ms()
        return key

    def _ping_key(self) -> Optional[str]:
        resp = self._api.user_data_streams_api.keepalive_user_data_stream().execute()
        result = resp.raw.get("result")
        key = result.get("listenKey") if isinstance(result, dict) else None
        return key if isinstance(key, str) and key else None

    def _open(self, key: str) -> _Link:
        cfg = self._config
        link = _Link(key, next(self._links))
        silence = cfg.silence_timeout
        link.conn = Connection(
            f"{cfg.base_path.rstrip('/')}/private/ws/{key}",
            open_timeout=cfg.connect_timeout,
            on_message=lambda message: self._accept(link, message),
            on_close=lambda conn, cause: self._link_closed(link, conn, cause),
            # Ping when idle for half the silence timeout: a live socket answers, so only a
            # dead or half-open one stays silent for the whole `silence_timeout`.
            ping_interval=silence / 2 if silence else None,
            dead_after=silence or None,
            name=f"{self._name}-{link.number}",
            connect_options=connect_options(cfg.base_path, cfg, cfg.connect_timeout),
        )
        return link

    def _install(
        self, link: _Link, gap: Optional[StreamGap], old: Optional[_Link], drain: bool = False
    ) -> bool:
        """Make ``link`` the active socket: the gap, then its buffered messages, then live.

        The ``old`` socket keeps delivering until it is closed if ``drain`` (rotation), else
        whatever it still receives is ignored (it is dead, or on an expired key).
        """
        assert link.conn is not None
        with self._cond:
            if self._stop.is_set() or link.conn.closed:
                return False
            if gap is not None:
                self._buffer.push_notice(gap)
            for message in link.buffer:
                if self._fresh(message):
                    self._buffer.push_raw(message)
            link.buffer = []
            link.state = _ACTIVE
            if old is not None and old.state == _ACTIVE:
                old.state = _DRAINING if drain else _RETIRED
            self._link = link
            self._key = link.key
            self._cond.notify_all()
        interval = self._config.rotation_interval
        if interval is not None:
            self._schedule("rotate", interval, self._commands.put, ("rotate", link.number))
        return True

    def _retire(self, link: Optional[_Link]) -> bool:
        """Close a replaced socket; return True if it closed cleanly (lost nothing)."""
        if link is None or link.conn is None:
            return True
        link.conn.close(self._config.close_timeout)
        with self._cond:
            link.state = _RETIRED
        return link.conn.cause is None

    def _dedupe(self, on: bool) -> None:
        """Drop copies while two sockets may deliver the same events, and a grace after."""
        with self._cond:
            if on:
                self._seen, self._seen_until = _Seen(), float("inf")
            elif self._seen is not None:
                self._seen_until = min(self._seen_until, time.monotonic() + _DEDUPE_GRACE)

    def _fresh(self, message: Any) -> bool:
        """Under the lock: False for a copy of a message delivered during an overlap."""
        seen = self._seen
        if seen is None:
            return True
        if time.monotonic() > self._seen_until:
            self._seen = None
            return True
        if seen.add(message):
            return True
        self.duplicates += 1
        return False

    def _schedule(self, name: str, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        with self._cond:
            old = self._timers.pop(name, None)
            if old is not None:
                old.cancel()
            if not self._stop.is_set():
                self._timers[name] = self._scheduler.call_later(delay, fn, *args)

    # ------------------------------------------------------------------ reader side

    def _accept(self, link: _Link, message: Any) -> None:
        """Reader thread: route one message. Never blocks beyond the short buffer lock."""
        expired = (
            type(message) is dict
            and message.get("e") == "listenKeyExpired"
            and message.get("listenKey") in (None, link.key)
        )
        with self._cond:
            state = link.state
            if state == _RETIRED:
                return
            if state == _PENDING:
                # Held back until install, where it is checked for copies: a copy is kept
                # from whichever live socket delivered it first, which preserves the order.
                link.buffer.append(message)
            elif self._fresh(message):
                self._buffer.push_raw(message)
                self._cond.notify()
            if not expired:
                self._key_ok_ms = now_ms()
        if expired:
            # Sent when the key lapses: its arrival (local clock) is when events stopped.
            self._commands.put(("expired", link.key, now_ms(), "listenKeyExpired event"))

    def _link_closed(self, link: _Link, conn: Connection, cause: Optional[BaseException]) -> None:
        """Reader thread, once per socket: an active socket that ends is a lost one."""
        with self._cond:
            if link.state != _ACTIVE or self._stop.is_set():
                return
        last_frame = now_ms() - int((time.monotonic() - conn.last_frame_at) * 1000)
        self._commands.put(("lost", link, last_frame, f"stream connection lost: {cause}"))

    # ------------------------------------------------------------------ supervisor

    def _supervise(self) -> None:
        while True:
            command = self._commands.get()
            kind = command[0]
            if kind == "stop" or self._stop.is_set():
                return
            link = self._link
            try:
                if link is None or command[1] not in (link, link.number, link.key):
                    continue  # about a socket or key that was already replaced
                if kind == "lost":
                    self._reestablish("reconnect", command[2], command[3], renew=False)
                elif kind == "expired":
                    start = command[2] or self._key_ok_ms or now_ms()
                    self._reestablish("listen_key_expired", start, command[3], renew=True)
                elif kind == "rotate":
                    self._rotate(link)
            except Exception as exc:  # pragma: no cover - a bug must not end supervision
                logger.exception("%s: supervisor failed on %s", self._name, kind)
                self._report(exc)

    def _reestablish(self, reason: str, start: int, detail: str, renew: bool) -> None:
        """Open a socket (on a new key if ``renew``) with backoff, then install it after a gap."""
        old = self._link
        if old is not None and old.conn is not None and not old.conn.closed:
            self._dedupe(True)  # both sockets may deliver until the old one is retired
        try:
            self._reconnect(old, reason, start, detail, renew)
        finally:
            self._dedupe(False)

    def _reconnect(
        self, old: Optional[_Link], reason: str, start: int, detail: str, renew: bool
    ) -> None:
        cfg = self._config
        delay = cfg.reconnect_delay
        attempt = 0
        logger.warning("%s: %s; reconnecting", self._name, detail)
        while not self._stop.is_set():
            attempt += 1
            try:
                key = self._fresh_key(renew)
                link = self._open(key)
            except BinanceWsError as exc:
                self._report(exc)
            else:
                end = max(start, now_ms())
                gap = StreamGap(reason=reason, start=start, end=end, detail=detail)
                if self._install(link, gap, old):
                    self.reconnects += 1
                    if key != (old.key if old else None):
                        self.key_renewals += 1
                    logger.info(
                        "%s: stream back on listenKey %s after %d attempt(s), gap %.1f s",
                        self._name,
                        mask(key),
                        attempt,
                        gap.duration,
                    )
                    if old is not None:
                        self._retire(old)
                    return
                assert link.conn is not None
                link.conn.close(0)
            if self._stop.wait(delay * (0.5 + random.random())):
                return
            delay = min(delay * 2, cfg.reconnect_max_delay)

    def _fresh_key(self, renew: bool) -> str:
        """The key to connect with: a new one if ``renew``, else the current one, checked."""
        if renew:
            return self._start_key()
        current = self._key
        assert current is not None
        try:
            pinged = self._ping_key()
        except ServerError as exc:
            if exc.code != _INVALID_LISTEN_KEY:
                raise
            logger.info(
                "%s: listenKey %s is gone (-1125); starting a new one", self._name, mask(current)
            )
            return self._start_key()
        except BinanceWsError as exc:
            # The WS API is down too: the socket can still come back on the current key.
            logger.warning("%s: cannot check the listenKey: %s", self._name, exc)
            return current
        self._key_ok_ms = now_ms()
        return pinged or current

    def _rotate(self, old: _Link) -> None:
        """Make-before-break on the same key; the overlap's copies are dropped."""
        self._dedupe(True)
        try:
            new = self._open(old.key)
        except BinanceWsError as exc:
            self._dedupe(False)
            self._report(exc)
            self._retry_rotation(old)
            return
        opened = now_ms()
        if not self._install(new, None, old, drain=True):
            assert new.conn is not None
            new.conn.close(0)
            self._dedupe(False)
            self._retry_rotation(old)
            return
        self._stop.wait(_ROTATION_OVERLAP)
        last_frame = now_ms()
        if old.conn is not None:
            last_frame -= int((time.monotonic() - old.conn.last_frame_at) * 1000)
        clean = self._retire(old)
        with self._cond:
            self._seen_until = time.monotonic() + _DEDUPE_GRACE
            if not clean and last_frame < opened:
                self._buffer.push_notice(
                    StreamGap(
                        reason="reconnect",
                        start=last_frame,
                        end=opened,
                        detail="the replaced socket did not close cleanly during rotation",
                    )
                )
                self._cond.notify_all()
        self.rotations += 1
        logger.info("%s: stream connection rotated", self._name)

    def _retry_rotation(self, old: _Link) -> None:
        delay = max(self._config.reconnect_delay, 1.0)
        self._schedule("rotate", delay, self._commands.put, ("rotate", old.number))

    # ------------------------------------------------------------------ keepalive

    def _keepalive_due(self) -> None:
        """Scheduler thread: reschedule, and start a keepalive worker unless one runs."""
        self._schedule("keepalive", self._config.keepalive_interval, self._keepalive_due)
        with self._cond:
            if self._stop.is_set() or (self._keepalive and self._keepalive.is_alive()):
                return
            self._keepalive = threading.Thread(
                target=self._keepalive_run, name=f"{self._name}-keepalive", daemon=True
            )
            self._keepalive.start()

    def _keepalive_run(self) -> None:
        """Ping the key; retry with backoff until the next keepalive is due."""
        cfg = self._config
        delay = cfg.reconnect_delay
        deadline = time.monotonic() + cfg.keepalive_interval
        while not self._stop.is_set():
            key = self._key
            try:
                pinged = self._ping_key()
            except ServerError as exc:
                if exc.code == _INVALID_LISTEN_KEY:
                    self._commands.put(("expired", key, None, f"keepalive: {exc}"))
                    return
                self._report(exc)
            except BinanceWsError as exc:
                self._report(exc)
            else:
                if pinged is not None and pinged != key:
                    self._commands.put(("expired", key, None, "keepalive: another key is active"))
                    return
                self.keepalives += 1
                self._key_ok_ms = now_ms()
                logger.debug("%s: listenKey %s kept alive", self._name, mask(key))
                return
            wait = min(delay * (0.5 + random.random()), deadline - time.monotonic())
            if wait <= 0 or self._stop.wait(wait):
                return
            delay = min(delay * 2, cfg.reconnect_max_delay)
