"""The lifecycle of the WS API connections: connect, reconnect, rotate, close.

``ConnectionKeeper`` holds one *slot* per connection: one in ``"single"`` mode,
``pool_size`` in ``"pool"`` mode. Each slot has its *current* ``Connection`` and its own
state. A request takes an open connection when it is sent (in a pool, the one with the fewest
requests in flight), and its reply comes back on that same connection; so a make-before-break
rotation is: open a new connection, log it on, swap the slot's pointer, let the old one
finish what is in flight, close it. A dropped connection is replaced by its own reconnect
thread with exponential backoff and jitter; meanwhile new calls go to the other open
connections of a pool, or, with none open, wait (within their timeout) or fail fast, as the
configuration says. ``WebsocketApi`` builds request execution on top.
"""

from __future__ import annotations

import collections
import functools
import itertools
import logging
import random
import socket
import threading
import time
from typing import Any, Callable, Optional

import attrs

from .._config import ConfigurationWebsocketApi
from .._core._connection import Connection
from .._core._protocol import error_from_envelope
from .._core._scheduler import Scheduler
from .._core._transport import connect_options
from ..errors import BinanceWsError, ClientClosed, ConnectionClosed, RateLimited, ServerError

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


class _Slot:
    """One connection of the keeper: the current ``Connection`` and its own state.

    States: idle → connecting → open ⇄ reconnecting → down (gave up). Guarded by the
    keeper's lock (read without it on the fast path: attribute reads are atomic).
    """

    __slots__ = ("conn", "state")

    def __init__(self) -> None:
        self.conn: Optional[Connection] = None
        self.state = "idle"


class ConnectionKeeper:
    """Keeps the usable WS API connections: the state machine under ``WebsocketApi``.

    States: idle → connecting → open → down (every slot gave up) | closed (by the user). Each
    slot (one per connection, see ``_Slot``) reconnects and rotates on its own.
    """

    def __init__(self, config: ConfigurationWebsocketApi, scheduler: Scheduler) -> None:
        self.config = config
        self._scheduler = scheduler
        self._cond = threading.Condition(threading.Lock())
        size = config.pool_size if config.mode == "pool" else 1
        self._slots = [_Slot() for _ in range(size)]
        self._turn = itertools.count()  # where the next pick starts: ties go round in turn
        self._state = "idle"
        self._last_cause: Optional[BaseException] = None
        self._stop = threading.Event()
        self._workers: set[threading.Thread] = set()
        #: Sockets still being opened (handshake under way): close() shuts them down.
        self._opening: set[Any] = set()
        self._notice_handlers: list[Callable[[Notice], None]] = []
        #: The latest unsolicited messages (most recent last).
        self.notices: collections.deque[Notice] = collections.deque(maxlen=100)
        #: How many times a connection was replaced after a loss, and proactively (all slots).
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
        """Open the connection, or every connection of the pool (and log each on if
        configured). Does nothing if already open.

        Raises:
            ConnectionClosed: the server cannot be reached.
            ServerError: the configured ``session_logon`` was refused.
        """
        if self._scheduler.closed:
            raise ClientClosed("the client is closed: make a new client to connect again")
        with self._cond:
            if self._state == "open":
                return
            self._stop.clear()
            self._state = "connecting"
            for slot in self._slots:
                slot.state = "connecting"
            self._scheduler.attach(self)  # timers serve the connection until closed or down
        opened: list[Connection] = []
        try:
            for slot in self._slots:
                opened.append(self._open(slot))
        except BaseException:
            for conn in opened:
                conn.close(0)
            with self._cond:
                self._state = "idle"
                for slot in self._slots:
                    slot.state = "idle"
                self._release_timers()
            raise
        for slot, conn in zip(self._slots, opened):
            self._install(slot, conn)

    def close_websocket_connection(self) -> None:
        """Close the connection (every connection of a pool): idempotent, bounded in time,
        callable from any thread.

        Every call still waiting fails with ``ConnectionClosed``; no thread is left behind:
        the connections' threads are joined, and the client's timer thread ends unless an
        open user data stream still needs it. ``connect()`` may be called again afterwards.
        """
        with self._cond:
            self._state = "closed"
            conns = [slot.conn for slot in self._slots if slot.conn is not None]
            for slot in self._slots:
                slot.conn, slot.state = None, "idle"
            self._stop.set()
            self._cond.notify_all()
            opening = list(self._opening)
        for ws in opening:  # a reconnect or rotation mid-handshake: wake it, don't wait for it
            sock = ws.sock
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # not connected yet or already gone: its own timeout bounds it
        timeout = self.config.close_timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        for conn in conns:  # one close_timeout for them all
            conn.close(None if deadline is None else max(0.0, deadline - time.monotonic()))
        self._join_workers()
        with self._cond:  # after the workers: none of them can add a timer any more
            if self._state == "closed":  # unless connect() was called meanwhile
                self._release_timers()
        self._scheduler.join_idle(self.config.close_timeout)  # gone when this returns

    close = close_websocket_connection

    @property
    def connected(self) -> bool:
        """True while a connection (in a pool: at least one) is open and usable."""
        return self._pick(count=False) is not None

    @property
    def connection(self) -> Optional[Connection]:
        """The current connection (for diagnostics); in a pool, the first of ``connections``."""
        return self._slots[0].conn

    @property
    def connections(self) -> list[Optional[Connection]]:
        """The current connection of each slot, in order (``None`` while one is replaced)."""
        return [slot.conn for slot in self._slots]

    def on_notice(self, handler: Callable[[Notice], None]) -> None:
        """Call ``handler(notice)`` for every unsolicited message.

        It runs in the thread that reads the socket at that moment: the reader thread, or a
        caller waiting in ``execute()`` that reads its own reply. It must not block.
        """
        self._notice_handlers.append(handler)

    def _open(self, slot: _Slot) -> Connection:
        cfg = self.config
        hb = cfg.heartbeat_interval
        opened: list[Any] = []

        def on_socket(ws: Any) -> None:
            with self._cond:
                if self._stop.is_set():
                    raise ConnectionClosed("closed while connecting")
                self._opening.add(ws)
                opened.append(ws)

        try:
            conn = Connection(
                cfg.url,
                open_timeout=cfg.connect_timeout,
                on_message=functools.partial(self._on_message, slot),
                on_close=functools.partial(self._on_close, slot),
                ping_interval=hb,
                dead_after=None if hb is None else hb + cfg.heartbeat_timeout,
                name=f"binance-usdm-ws-api-{next(_counter)}",
                connect_options=connect_options(cfg.url, cfg, cfg.connect_timeout),
                lead=True,
                on_socket=on_socket,
            )
        finally:
            with self._cond:
                self._opening.difference_update(opened)
        self._prepare_connection(conn)
        return conn

    def _install(self, slot: _Slot, conn: Connection) -> None:
        with self._cond:
            if self._stop.is_set():
                closing: Optional[Connection] = conn
            else:
                closing = None
                slot.conn = conn
                slot.state = "open"
                self._state = "open"
                self._schedule_rotation(slot, conn)
                self._cond.notify_all()
        if closing is not None:
            closing.close(0)

    def _schedule_rotation(
        self, slot: _Slot, conn: Connection, delay: Optional[float] = None
    ) -> None:
        """Under the lock, unless closed: a timer set before ``close`` is cancelled by it."""
        delay = self.config.rotation_interval if delay is None else delay
        if delay is not None and not self._stop.is_set():
            self._scheduler.call_later(delay, self._start_rotation, slot, conn)

    def _spawn(self, target: Callable[..., None], *args: Any, name: str) -> None:
        def run() -> None:
            try:
                target(*args)
            finally:
                with self._cond:
                    self._workers.discard(thread)

        thread = threading.Thread(target=run, name=name, daemon=True)
        # Registered and started under the lock, and never once closing began: close() sets
        # _stop under the same lock, so it joins every worker that exists.
        with self._cond:
            if self._stop.is_set():
                return
            self._workers.add(thread)
            thread.start()

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

    def _on_close(self, slot: _Slot, conn: Connection, cause: Optional[BaseException]) -> None:
        with self._cond:
            if conn is not slot.conn:
                return  # a retired connection (rotation) or one never installed
            slot.conn = None
            self._last_cause = cause
            if slot.state != "open":
                return
            if not self.config.reconnect:
                self._slot_down(slot)
                return
            slot.state = "reconnecting"
            self._cond.notify_all()
        self._spawn(self._reconnect_loop, slot, name="binance-usdm-ws-reconnect")

    def _slot_down(self, slot: _Slot) -> None:
        """Under the lock: ``slot`` gave up; once every slot has, the keeper is down."""
        slot.state = "down"
        if all(s.state == "down" for s in self._slots):
            self._state = "down"
            self._release_timers()
        self._cond.notify_all()

    def _reconnect_loop(self, slot: _Slot) -> None:
        cfg = self.config
        delay = cfg.reconnect_delay
        attempt = 0
        while not self._stop.is_set():
            attempt += 1
            try:
                conn = self._open(slot)
            except BinanceWsError as exc:
                logger.warning("reconnect attempt %d failed: %s", attempt, exc)
                self._last_cause = exc
                if cfg.reconnect_attempts is not None and attempt >= cfg.reconnect_attempts:
                    with self._cond:
                        if slot.state == "reconnecting":
                            self._slot_down(slot)
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
            self._install(slot, conn)
            return

    def _start_rotation(self, slot: _Slot, old: Connection) -> None:
        # Scheduler thread: never block it; the rotation opens a socket.
        if old is slot.conn and not self._stop.is_set():
            self._spawn(self._rotate, slot, old, name="binance-usdm-ws-rotate")

    def _rotate(self, slot: _Slot, old: Connection) -> None:
        """Make-before-break: open and log on a new connection, swap, then retire the old one."""
        try:
            new = self._open(slot)
        except BinanceWsError as exc:
            logger.warning(
                "rotation failed, retrying in %.0f s: %s", self.config.reconnect_delay, exc
            )
            with self._cond:
                if not old.closed:
                    self._schedule_rotation(slot, old, max(self.config.reconnect_delay, 1.0))
            return
        with self._cond:
            swap = slot.conn is old and slot.state == "open"
            if swap:
                slot.conn = new
                self.rotations += 1
                self._schedule_rotation(slot, new)
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

    def _on_message(self, slot: _Slot, message: Any) -> None:
        notice: Notice
        if isinstance(message, dict) and "error" in message:
            error = error_from_envelope(message)
            notice = Notice(raw=message, error=error)
            logger.warning("server notice: %s", error)
            if error.code == -2015 or error.status == 401:
                # The session's key is no longer valid: forget the logon so it is not replayed.
                conn = slot.conn
                if conn is not None:
                    conn.logged_on = False
                self._session_revoked()
        else:
            event = _event_type(message)
            notice = Notice(raw=message, event=event)
            if event == "serverShutdown":
                logger.info("server announced a shutdown: rotating the connection")
                conn = slot.conn
                if conn is not None:
                    self._start_rotation(slot, conn)
        self.notices.append(notice)
        for handler in list(self._notice_handlers):
            try:
                handler(notice)
            except Exception:
                logger.exception("notice handler failed")

    def _current(self, deadline: Optional[float]) -> Connection:
        """Return an open connection, waiting through a reconnect if the policy says so."""
        slots = self._slots
        if len(slots) == 1:  # fast path without the lock: attribute reads are atomic
            slot = slots[0]
            conn = slot.conn
            if conn is not None and slot.state == "open" and not conn.closed:
                return conn
        else:
            conn = self._pick()
            if conn is not None:
                return conn
        with self._cond:
            while True:
                conn = self._pick()
                if conn is not None:
                    return conn
                waiting = self._state == "connecting" or any(
                    slot.state in ("reconnecting", "connecting")
                    or (slot.state == "open" and self.config.reconnect)
                    for slot in slots
                )
                if not waiting or not self.config.wait_for_reconnect:
                    raise self._not_connected()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise self._not_connected("no connection within the timeout")
                # Short waits: a connection whose reader is tearing down is not yet swapped.
                self._cond.wait(0.05 if remaining is None else min(remaining, 0.05))

    def _pick(self, count: bool = True) -> Optional[Connection]:
        """The open connection with the fewest requests in flight (ties in turn), or None.

        Least in flight rather than plain turns: a connection that is slow, or silently dead
        until the heartbeat says so, keeps its requests and gets no more of them.
        """
        slots = self._slots
        size = len(slots)
        start = next(self._turn) % size if count and size > 1 else 0
        best: Optional[Connection] = None
        fewest = 0
        for i in range(start, start + size):
            slot = slots[i % size]
            conn = slot.conn
            if conn is None or slot.state != "open" or conn.closed:
                continue
            pending = conn.pending_count
            if best is None or pending < fewest:
                best, fewest = conn, pending
                if not pending:
                    break
        return best

    def _holds(self, conn: Connection) -> bool:
        """True if ``conn`` is still the current connection of its slot."""
        return any(slot.conn is conn for slot in self._slots)

    def _not_connected(self, why: str = "") -> ConnectionClosed:
        state = {"idle": "not connected: call connect() first", "closed": "connection closed"}
        slots = ", ".join(slot.state for slot in self._slots)
        text = state.get(
            self._state,
            f"connection {slots}" if len(self._slots) == 1 else f"no connection open ({slots})",
        )
        if self._scheduler.closed:  # the client's close(), which is final
            return ClientClosed()
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
