"""The user data stream: from a listenKey to typed events, kept alive and reconnected by itself.

It is one of the two users of the stream supervisor (``_core/_supervisor.py``), which owns the
socket: silence detection, reconnect with backoff and jitter, make-before-break rotation with
the overlap's copies removed, and a ``StreamGap`` wherever events may be missing. This module
adds the listenKey lifecycle on top:

* the socket carries the key, in the configured form (``user_data_url``: in the query string,
  by default; in the path; or by ``SUBSCRIBE`` on ``/private/stream``), the same for every
  socket: a new socket starts a key (``userDataStream.start``), a reconnect first checks the
  current one (``userDataStream.ping``; ``-1125`` → a new key), a rotation keeps it;
* ``listenKeyExpired`` (spotted by the reader thread itself, so expiry is handled even when the
  consumer is slow) and ``-1125`` from a keepalive make the supervisor reconnect on a new key,
  with a ``StreamGap(reason="listen_key_expired")``;
* a keepalive worker, started by a scheduler timer every ``keepalive_interval``: it sends
  ``userDataStream.ping`` over the WS API, retries with backoff, reports failures through
  ``on_error``; it never touches event delivery.

Threads of one ``UserDataStream`` (all daemon threads, all joined by ``close()``): the socket's
reader (and its heartbeat), which appends each message to the bounded buffer of
``StreamConsumer`` and never waits; the supervisor; the keepalive worker; and the delivery
thread, only when callbacks are registered (``on``/``on_any``).
"""

from __future__ import annotations

import itertools
import logging
import random
import re
import threading
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional, Union
from urllib.parse import quote

from ..._config import ConfigurationWebsocketStreams
from ..._core._connection import Connection
from ..._core._control import control_request
from ..._core._redact import mask
from ..._core._scheduler import Scheduler, TimerHandle
from ..._core._stream_delivery import StreamConsumer, StreamGap, now_ms
from ..._core._supervisor import Link, Slot, Supervised, Supervisor
from ...errors import (
    BinanceWsError,
    ConnectionClosed,
    InvalidRequest,
    ServerError,
)
from ._decode import UserDataEvent, decode_event

if TYPE_CHECKING:
    from ...websocket_api._websocket_api import WebsocketApi

__all__ = ["StreamGap", "StreamItem", "UserDataStream"]

logger = logging.getLogger("binance_usdm_ws")

_counter = itertools.count(1)
_INVALID_LISTEN_KEY = -1125
_EXPIRED = "listenKeyExpired"
_EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


#: What a stream yields: a typed event or a gap notice.
StreamItem = Union[UserDataEvent, StreamGap]


def _unwrapped(message: Any) -> Any:
    """The payload of a combined-stream envelope (``{"stream","data"}``), else the message."""
    if type(message) is dict and "data" in message and "stream" in message:
        return message["data"]
    return message


def _decode_user_data(message: Any) -> StreamItem:
    """One buffered message → its event (the combined envelope unwrapped)."""
    return decode_event(_unwrapped(message))


def check_events(events: Optional[Iterable[str]]) -> Optional[tuple[str, ...]]:
    """The ``events`` allow list, checked, with ``listenKeyExpired`` added if missing.

    Raises:
        InvalidRequest: a str instead of a list, an empty list, or a name that is not an
            event type (letters, digits and ``_``, starting with a letter).
    """
    if events is None:
        return None
    if isinstance(events, str):
        raise InvalidRequest(
            'events: expected a list of event types, e.g. ["ORDER_TRADE_UPDATE"], got a str',
            param="events",
        )
    names = list(events)
    if not names:
        raise InvalidRequest(
            "events: empty; give at least one event type, or None for every event",
            param="events",
        )
    for name in names:
        if not isinstance(name, str) or not _EVENT_NAME.match(name):
            raise InvalidRequest(
                f"events: {name!r} is not an event type (an 'e' value such as "
                "ORDER_TRADE_UPDATE or ACCOUNT_UPDATE)",
                param="events",
            )
    names = list(dict.fromkeys(names))
    if _EXPIRED not in names:
        names.append(_EXPIRED)
    return tuple(names)


def user_data_socket_url(
    base_path: str, form: str, key: str, events: Optional[Sequence[str]] = None
) -> str:
    """The socket URL of a listenKey in one of the forms of ``user_data_url``.

    ``"query"``: ``<base>/private/ws?listenKey=<key>[&events=a/b]``; ``"path"``:
    ``<base>/private/ws/<key>``; ``"subscribe"``: ``<base>/private/stream`` (the key then goes
    in a ``SUBSCRIBE``). The URL holds a bearer secret: show it only through ``mask_text``.
    """
    base = f"{base_path.rstrip('/')}/private"
    if form == "subscribe":
        return f"{base}/stream"
    if form == "path":
        return f"{base}/ws/{quote(key, safe='')}"
    url = f"{base}/ws?listenKey={quote(key, safe='')}"
    if events is not None:
        url += "&events=" + "/".join(events)
    return url


class UserDataStream(StreamConsumer[StreamItem], Supervised):
    """The account's user data stream: typed events, kept alive and reconnected by itself.

    Made by ``client.user_data_stream()``. Use it as a context manager (``start()`` on enter,
    ``close()`` on exit) and iterate it, or register callbacks::

        with client.user_data_stream() as stream:
            for item in stream:               # typed events and StreamGap notices, in order
                ...

    ``start()`` starts a listenKey (``userDataStream.start`` over the WS API, which must be
    connected) and opens the socket in the configured ``user_data_url`` form: by default
    ``<streams base>/private/ws?listenKey=<listenKey>``, the form measured delivering on
    production (``"path"``: ``/private/ws/<listenKey>``; ``"subscribe"``: ``/private/stream``
    and ``SUBSCRIBE``). From then on the stream pings the key every ``keepalive_interval``,
    reconnects after drops and silence, replaces an expired key, rotates the socket before
    24 h — every socket in the same form — and delivers a ``StreamGap`` wherever events may be
    missing.

    ``events`` (an allow list of event types, sent as ``&events=A/B``; query form only) makes
    Binance send only those types. ``listenKeyExpired`` is always added to it: Binance leaves
    an unlisted ``listenKeyExpired`` out, and the stream needs it to replace an expired key.

    ``close()`` stops the key (``userDataStream.stop``), closes the socket and joins every
    thread; it is idempotent and never raises.

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
        events: Optional[Iterable[str]] = None,
    ) -> None:
        if events is not None and not isinstance(events, str):
            events = list(events)  # read once: checked here, looked at again below
        checked = check_events(events)
        if checked is not None and config.user_data_url != "query":
            raise InvalidRequest(
                f'events: needs user_data_url="query" (Binance documents the filter only in '
                f"the query string), not {config.user_data_url!r}",
                param="events",
            )
        self._n = next(_counter)
        super().__init__(
            config.queue_size, f"binance-usdm-ws-uds{self._n}", decode=_decode_user_data
        )
        self._api = websocket_api
        self._config = config
        self._scheduler = scheduler
        self._on_closed = on_closed
        self._key: Optional[str] = None
        self._events = checked
        self._ids = itertools.count(1)  # SUBSCRIBE ids (the "subscribe" form)
        self._stop = threading.Event()
        self._state = "new"  # new -> starting -> running -> closing -> closed
        self._keepalive: Optional[threading.Thread] = None
        self._timers: dict[str, TimerHandle] = {}
        self._key_ok_ms = 0  # when the key was last known valid (start, ping, an event)
        # One slot, whose lock is the buffer's: a message is checked and queued in one step.
        self._slot = Slot(self._name, self._cond)
        self._supervisor = Supervisor(
            self,
            config,
            self._stop,
            self._name,
            on_command=self._on_command,
            inspect=self._inspect,
        )
        self.key_renewals = 0
        self.keepalives = 0
        if checked is not None and _EXPIRED not in list(events or ()):
            logger.info(
                "%s: events filter %s: listenKeyExpired added (the stream needs it to "
                "replace an expired key)",
                self._name,
                "/".join(checked),
            )

    # ------------------------------------------------------------------ public

    @property
    def events(self) -> Optional[tuple[str, ...]]:
        """The allow list sent to Binance (``listenKeyExpired`` included), or None: every
        event."""
        return self._events

    @property
    def listen_key(self) -> Optional[str]:
        """The listenKey in use (a bearer secret, do not log it), or None before ``start()``."""
        return self._key

    @property
    def connection(self) -> Optional[Connection]:
        """The current stream socket (for diagnostics)."""
        link = self._slot.link
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
            link = self._supervisor.open(self._slot, "open")
        except BaseException:
            with self._cond:
                self._state = "new"
            self._scheduler.detach(self)
            raise
        if not self._supervisor.install(self._slot, link):
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
            # Under the lock: close() either sees the thread and joins it, or it never starts.
            self._supervisor.add(self._slot)
        self._schedule("keepalive", self._config.keepalive_interval, self._keepalive_due)
        self._start_delivery()
        logger.info(
            "%s: started on listenKey %s (%s form)",
            self._name,
            mask(self._key),
            self._config.user_data_url,
        )
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
        with self._cond:  # _schedule adds no timer once _stop is set (under this lock)
            for timer in self._timers.values():
                timer.cancel()
        self._scheduler.detach(self)
        self._supervisor.close(self._config.close_timeout)
        with self._cond:
            keepalive = self._keepalive
        if keepalive is not None and keepalive is not threading.current_thread():
            keepalive.join()
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

    # ------------------------------------------------------------------ the supervisor's hooks

    def _socket_url(self, slot: Slot, why: str) -> tuple[str, str]:
        """The socket of a key: a new key to open, the same to rotate, a checked one to
        reconnect, a new one to renew."""
        if why in ("open", "renew"):
            key = self._start_key()
        elif why == "rotate" and self._key is not None:
            key = self._key
        else:
            key = self._fresh_key()
        url = user_data_socket_url(
            self._config.base_path, self._config.user_data_url, key, self._events
        )
        return url, key

    def _prepare_socket(self, slot: Slot, link: Link) -> None:
        """The ``"subscribe"`` form: ``SUBSCRIBE`` the key and wait for the acknowledgement
        (the other forms carry the key in the URL)."""
        if self._config.user_data_url != "subscribe":
            return
        conn = link.conn
        assert conn is not None
        control_request(
            conn, next(self._ids), "SUBSCRIBE", [link.tag], self._config.timeout, "/private/stream"
        )

    def _deliver(self, slot: Slot, message: Any) -> None:
        self._buffer.push_raw(message)  # under self._cond, the slot's lock
        if self._waiting:
            self._wake()

    def _deliver_gap(self, slot: Slot, gap: StreamGap) -> None:
        self._buffer.push_notice(gap)
        self._cond.notify_all()

    def _attempt_failed(self, slot: Slot, error: BaseException) -> None:
        self._report(error)

    def _installed(self, slot: Slot, link: Link) -> None:
        """Under the lock: the stream now runs on ``link``'s key."""
        if self._key is not None and link.tag != self._key:
            self.key_renewals += 1
        self._key = link.tag

    def _inspect(self, slot: Slot, link: Link, message: Any) -> None:
        """Reader thread: a ``listenKeyExpired`` for this socket's key ends it; else the key
        is alive."""
        message = _unwrapped(message)
        if (
            type(message) is dict
            and message.get("e") == "listenKeyExpired"
            and message.get("listenKey") in (None, link.tag)
        ):
            # Sent when the key lapses: its arrival (local clock) is when events stopped.
            self._supervisor.command("expired", link.tag, now_ms(), "listenKeyExpired event")
        else:
            self._key_ok_ms = now_ms()

    def _on_command(self, kind: str, key: str, start: Optional[int], detail: str) -> None:
        """Supervisor thread: the key ``key`` expired; reconnect on a new one."""
        link = self._slot.link
        if link is None or link.tag != key:
            return  # about a key that was already replaced
        start = start or self._key_ok_ms or now_ms()
        self._supervisor.reconnect(self._slot, "listen_key_expired", start, detail, "renew")

    # ------------------------------------------------------------------ keys

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

    def _fresh_key(self) -> str:
        """The key to reconnect with: the current one, checked (a new one if it is gone)."""
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

    def _schedule(self, name: str, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        with self._cond:
            old = self._timers.pop(name, None)
            if old is not None:
                old.cancel()
            if not self._stop.is_set():
                self._timers[name] = self._scheduler.call_later(delay, fn, *args)

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
                    self._supervisor.command("expired", key, None, f"keepalive: {exc}")
                    return
                self._report(exc)
            except BinanceWsError as exc:
                self._report(exc)
            else:
                if pinged is not None and pinged != key:
                    self._supervisor.command(
                        "expired", key, None, "keepalive: another key is active"
                    )
                    return
                self.keepalives += 1
                self._key_ok_ms = now_ms()
                logger.debug("%s: listenKey %s kept alive", self._name, mask(key))
                return
            wait = min(delay * (0.5 + random.random()), deadline - time.monotonic())
            if wait <= 0 or self._stop.wait(wait):
                return
            delay = min(delay * 2, cfg.reconnect_max_delay)
