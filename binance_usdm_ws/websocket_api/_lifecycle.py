"""The lifecycle of the WS API connection: connect, reconnect, rotate, close.

``ConnectionKeeper`` holds the *current* ``Connection``. A request takes the current
connection when it is sent, and its reply comes back on that same connection; so a
make-before-break rotation is: open a new connection, log it on, swap the pointer, let the
old one finish what is in flight, close it. A dropped connection is replaced by a reconnect
thread with exponential backoff and jitter; meanwhile new calls wait (within their timeout)
or fail fast, as the configuration says. ``WebsocketApi`` builds request execution on top.
"""

from __future__ import annotations

import collections
import itertools
import logging
import random
import threading
import time
from typing import Any, Callable, Optional

import attrs

from .._config import ConfigurationWebsocketApi
from .._core._connection import Connection
from .._core._protocol import error_from_envelope
from .._core._scheduler import Scheduler
from .._core._transport import connect_options
from ..errors import BinanceWsError, ConnectionClosed, RateLimited, ServerError

__all__ = ["ConnectionKeeper", "Notice"]

logger = logging.getLogger("binance_usdm_ws")

_counter = itertools.count(1)


class _Unsent(Exception):
    """Internal: the request never left (its connection was already closed)."""

    def __init__(self, error: ConnectionClosed) -> None:
        super().__init__(str(error))
        self.error = error


@attrs.define(frozen=True)
class Notice:
    """A message the server sent on its own: an ``"id": null`` error or a server event.

    Attributes:
        raw: the message as received.
        error: for an error frame (e.g. -2015 when the API key was revoked), the typed error.
        event: for an event frame (e.g. ``serverShutdown``), its ``e`` value.
    """

    raw: Any
    error: Optional[ServerError] = None
    event: Optional[str] = None


class ConnectionKeeper:
    """Keeps one usable WS API connection: the state machine under ``WebsocketApi``.

    States: idle → connecting → open ⇄ reconnecting → down (gave up) | closed (by the user).
    """

    def __init__(self, config: ConfigurationWebsocketApi, scheduler: Scheduler) -> None:
        self.config = config
        self._scheduler = scheduler
        self._cond = threading.Condition(threading.Lock())
        self._conn: Optional[Connection] = None
        self._state = "idle"
        self._last_cause: Optional[BaseException] = None
        self._stop = threading.Event()
        self._workers: set[threading.Thread] = set()
        self._notice_handlers: list[Callable[[Notice], None]] = []
        #: The latest unsolicited messages (most recent last).
        self.notices: collections.deque[Notice] = collections.deque(maxlen=100)
        #: How many times the connection was replaced after a loss, and proactively.
        self.reconnects = 0
        self.rotations = 0

    def _prepare_connection(self, conn: Connection) -> None:
        """Make a new connection ready before it serves requests (``WebsocketApi`` logs on)."""

    def _session_revoked(self) -> None:
        """The server revoked the session's key (``WebsocketApi`` stops replaying the logon)."""

    def _timers_dropped(self) -> None:
        """This object's timers were cancelled (``WebsocketApi`` re-arms its sweep)."""

    def _release_timers(self) -> None:
        """Under the lock, with no connection left: the timer thread need not serve us.

        Our pending timers are cancelled; the thread ends unless a stream still uses it.
        ``connect()`` attaches again.
        """
        self._scheduler.detach(self)
        self._timers_dropped()

    def connect(self) -> None:
        """Open the connection (and log on if configured). Does nothing if already open.

        Raises:
            ConnectionClosed: the server cannot be reached.
            ServerError: the configured ``session_logon`` was refused.
        """
        if self._scheduler.closed:
            raise ConnectionClosed("the client is closed: make a new client to connect again")
        with self._cond:
            if self._state == "open":
                return
            self._stop.clear()
            self._state = "connecting"
            self._scheduler.attach(self)  # timers serve the connection until closed or down
        try:
            conn = self._open()
        except BaseException:
            with self._cond:
                self._state = "idle"
                self._release_timers()
            raise
        self._install(conn)

    def close_websocket_connection(self) -> None:
        """Close the connection: idempotent, bounded in time, callable from any thread.

        Every call still waiting fails with ``ConnectionClosed``; no thread is left behind:
        the connection's threads are joined, and the client's timer thread ends unless an
        open user data stream still needs it. ``connect()`` may be called again afterwards.
        """
        with self._cond:
            self._state = "closed"
            conn, self._conn = self._conn, None
            self._stop.set()
            self._cond.notify_all()
        if conn is not None:
            conn.close(self.config.close_timeout)
        self._join_workers()
        with self._cond:  # after the workers: none of them can add a timer any more
            if self._state == "closed":  # unless connect() was called meanwhile
                self._release_timers()
        self._scheduler.join_idle(self.config.close_timeout)  # gone when this returns

    close = close_websocket_connection

    @property
    def connected(self) -> bool:
        """True while a connection is open and usable."""
        conn = self._conn
        return self._state == "open" and conn is not None and not conn.closed

    @property
    def connection(self) -> Optional[Connection]:
        """The current connection (for diagnostics)."""
        return self._conn

    def on_notice(self, handler: Callable[[Notice], None]) -> None:
        """Call ``handler(notice)`` for every unsolicited message.

        It runs in the thread that reads the socket at that moment: the reader thread, or a
        caller waiting in ``execute()`` that reads its own reply. It must not block.
        """
        self._notice_handlers.append(handler)

    def _open(self) -> Connection:
        cfg = self.config
        hb = cfg.heartbeat_interval
        conn = Connection(
            cfg.url,
            open_timeout=cfg.connect_timeout,
            on_message=self._on_message,
            on_close=self._on_close,
            ping_interval=hb,
            dead_after=None if hb is None else hb + cfg.heartbeat_timeout,
            name=f"binance-usdm-ws-api-{next(_counter)}",
            connect_options=connect_options(cfg.url, cfg, cfg.connect_timeout),
            lead=True,
        )
        self._prepare_connection(conn)
        return conn

    def _install(self, conn: Connection) -> None:
        with self._cond:
            if self._stop.is_set():
                closing: Optional[Connection] = conn
            else:
                closing = None
                self._conn = conn
                self._state = "open"
                self._schedule_rotation(conn)
                self._cond.notify_all()
        if closing is not None:
            closing.close(0)

    def _schedule_rotation(self, conn: Connection, delay: Optional[float] = None) -> None:
        """Under the lock, unless closed: a timer set before ``close`` is cancelled by it."""
        delay = self.config.rotation_interval if delay is None else delay
        if delay is not None and not self._stop.is_set():
            self._scheduler.call_later(delay, self._start_rotation, conn)

    def _spawn(self, target: Callable[..., None], *args: Any, name: str) -> None:
        def run() -> None:
            try:
                target(*args)
            finally:
                with self._cond:
                    self._workers.discard(thread)

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        # Added after start (join() refuses unstarted threads); a thread that already ended
        # is joined at once by _join_workers.
        with self._cond:
            self._workers.add(thread)

    def _join_workers(self) -> None:
        while True:
            with self._cond:
                workers = [t for t in self._workers if t is not threading.current_thread()]
            if not workers:
                return
            for t in workers:
                t.join()
                with self._cond:
                    self._workers.discard(t)

    def _on_close(self, conn: Connection, cause: Optional[BaseException]) -> None:
        with self._cond:
            if conn is not self._conn:
                return  # a retired connection (rotation) or one never installed
            self._conn = None
            self._last_cause = cause
            if self._state != "open":
                return
            if not self.config.reconnect:
                self._state = "down"
                self._release_timers()
                self._cond.notify_all()
                return
            self._state = "reconnecting"
            self._cond.notify_all()
        self._spawn(self._reconnect_loop, name="binance-usdm-ws-reconnect")

    def _reconnect_loop(self) -> None:
        cfg = self.config
        delay = cfg.reconnect_delay
        attempt = 0
        while not self._stop.is_set():
            attempt += 1
            try:
                conn = self._open()
            except BinanceWsError as exc:
                logger.warning("reconnect attempt %d failed: %s", attempt, exc)
                self._last_cause = exc
                if cfg.reconnect_attempts is not None and attempt >= cfg.reconnect_attempts:
                    with self._cond:
                        if self._state == "reconnecting":
                            self._state = "down"
                            self._release_timers()
                        self._cond.notify_all()
                    return
                wait = delay * (0.5 + random.random())  # jitter: spread a crowd of clients
                if isinstance(exc, RateLimited) and exc.retry_after:
                    wait = max(wait, exc.retry_after)
                self._stop.wait(wait)
                delay = min(delay * 2, cfg.reconnect_max_delay)
                continue
            with self._cond:
                self.reconnects += 1
            logger.info("reconnected after %d attempt(s)", attempt)
            self._install(conn)
            return

    def _start_rotation(self, old: Connection) -> None:
        # Scheduler thread: never block it; the rotation opens a socket.
        if old is self._conn and not self._stop.is_set():
            self._spawn(self._rotate, old, name="binance-usdm-ws-rotate")

    def _rotate(self, old: Connection) -> None:
        """Make-before-break: open and log on a new connection, swap, then retire the old one."""
        try:
            new = self._open()
        except BinanceWsError as exc:
            logger.warning(
                "rotation failed, retrying in %.0f s: %s", self.config.reconnect_delay, exc
            )
            with self._cond:
                if not old.closed:
                    self._schedule_rotation(old, max(self.config.reconnect_delay, 1.0))
            return
        with self._cond:
            swap = self._conn is old and self._state == "open"
            if swap:
                self._conn = new
                self.rotations += 1
                self._schedule_rotation(new)
        if not swap:
            new.close(0)
            return
        self._retire(old)

    def _retire(self, old: Connection) -> None:
        """Let the in-flight requests of a replaced connection finish, then close it."""
        limit = self.config.timeout if self.config.timeout is not None else 60.0
        deadline = time.monotonic() + limit
        while old.pending_count and time.monotonic() < deadline and not old.closed:
            if self._stop.wait(0.01):
                break
        old.close(self.config.close_timeout)

    # ------------------------------------------------------------------ unsolicited messages

    def _on_message(self, message: Any) -> None:
        notice: Notice
        if isinstance(message, dict) and "error" in message:
            error = error_from_envelope(message)
            notice = Notice(raw=message, error=error)
            logger.warning("server notice: %s", error)
            if error.code == -2015 or error.status == 401:
                # The session's key is no longer valid: forget the logon so it is not replayed.
                conn = self._conn
                if conn is not None:
                    conn.logged_on = False
                self._session_revoked()
        else:
            event = _event_type(message)
            notice = Notice(raw=message, event=event)
            if event == "serverShutdown":
                logger.info("server announced a shutdown: rotating the connection")
                conn = self._conn
                if conn is not None:
                    self._start_rotation(conn)
        self.notices.append(notice)
        for handler in list(self._notice_handlers):
            try:
                handler(notice)
            except Exception:
                logger.exception("notice handler failed")

    def _current(self, deadline: Optional[float]) -> Connection:
        """Return the open connection, waiting through a reconnect if the policy says so."""
        conn = self._conn  # fast path without the lock: attribute reads are atomic
        if conn is not None and self._state == "open" and not conn.closed:
            return conn
        with self._cond:
            while True:
                conn = self._conn
                if self._state == "open" and conn is not None and not conn.closed:
                    return conn
                waiting = self._state in ("reconnecting", "connecting") or (
                    self._state == "open" and self.config.reconnect
                )
                if not waiting or not self.config.wait_for_reconnect:
                    raise self._not_connected()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise self._not_connected("no connection within the timeout")
                # Short waits: a connection whose reader is tearing down is not yet swapped.
                self._cond.wait(0.05 if remaining is None else min(remaining, 0.05))

    def _not_connected(self, why: str = "") -> ConnectionClosed:
        state = {"idle": "not connected: call connect() first", "closed": "connection closed"}
        text = state.get(self._state, f"connection {self._state}")
        exc = ConnectionClosed(text + (f" ({why})" if why else ""))
        exc.__cause__ = self._last_cause
        return exc


def _event_type(message: Any) -> Optional[str]:
    if isinstance(message, dict):
        if isinstance(message.get("e"), str):
            return str(message["e"])
        event = message.get("event")
        if isinstance(event, dict) and isinstance(event.get("e"), str):
            return str(event["e"])
    return None
