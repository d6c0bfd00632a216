"""The stream supervisor: the one machinery that keeps stream sockets alive, for both streams.

The user data stream and the market streams client are its two users. Each holds *slots*: a slot
is one logical stream socket (the user data stream has one; market streams one per route and
shard), and its *link* is the ``Connection`` currently serving it. The supervisor replaces
links; its owner says where a socket goes and what it carries, through a few hooks
(:class:`StreamOwner`): the URL (the user data stream's listenKey lifecycle lives there), what to
do on a new socket before it counts (market streams send their ``SUBSCRIBE``\\s there), and where
messages and gaps go.

What it does, the same way for every slot:

* **Silence detection.** Every socket pings when idle for half of ``silence_timeout`` and is
  declared dead after ``silence_timeout`` without any frame (the heartbeat of ``Connection``).
* **Reconnect** with exponential backoff and jitter after a drop or silence, in one supervisor
  thread per owner. The new link's messages are held back until it is installed, and
  installing puts one ``StreamGap`` first: the gap always precedes the first new item.
* **Rotation** before ``rotation_interval``, make-before-break: the new socket opens (and is
  prepared) while the old one still delivers; the new one takes over control at once (so a
  control frame sent meanwhile goes to the socket that stays) but its messages are held back;
  after a one-second overlap the old socket is closed, and then the new one's held-back
  messages follow, copies removed. The old socket leads until it is gone, so the order is the
  server's: whatever the new socket holds that the old one did not deliver came after the
  old one's last message. If the old socket did not close cleanly, a ``StreamGap`` marks
  where frames may be missing, before the new socket's messages.
* **Dedupe.** While two sockets may carry the same messages (the overlap, and a grace after),
  a message is delivered once: the check and the delivery happen under the slot's lock, so
  two reader threads cannot swap the order of two messages.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import json
import logging
import queue
import random
import threading
import time
from contextlib import AbstractContextManager
from typing import Any, Optional, Protocol

from ..errors import BinanceWsError, ConnectionClosed
from ._connection import Connection
from ._stream_delivery import StreamGap, now_ms
from ._transport import connect_options

__all__ = ["Link", "Slot", "StreamOwner", "Supervised", "Supervisor"]

logger = logging.getLogger("binance_usdm_ws")

#: Link states. PENDING: open, messages held back; ACTIVE: delivers; DRAINING: a rotation's old
#: socket, still delivering until it is closed; RETIRED: ignored.
PENDING, ACTIVE, DRAINING, RETIRED = "pending", "active", "draining", "retired"
#: Both sockets of a rotation stay open this long after the new one takes over.
ROTATION_OVERLAP = 1.0
#: Copies are looked for until this long after the old socket of an overlap is closed.
DEDUPE_GRACE = 5.0


class _Seen:
    """Payloads delivered recently (bounded), to drop the copies of an overlap."""

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


class Link:
    """One socket of a slot, and what the supervisor knows about it."""

    __slots__ = ("conn", "tag", "number", "state", "buffer", "sent")

    def __init__(self, tag: Any, number: int) -> None:
        self.conn: Optional[Connection] = None
        self.tag = tag  # the owner's: the listenKey of a user data socket
        self.number = number
        self.state = PENDING
        self.buffer: list[Any] = []  # messages held back while PENDING
        self.sent: collections.deque[float] = collections.deque()  # owner's pacing, per socket


class Slot:
    """One logical stream socket, kept alive by the supervisor across its links."""

    __slots__ = ("name", "lock", "link", "seen", "seen_until", "rotate_at")

    def __init__(self, name: str, lock: Optional[AbstractContextManager[Any]] = None) -> None:
        self.name = name
        #: Guards the link states, the dedupe and the delivery of this slot's messages.
        self.lock: AbstractContextManager[Any] = lock if lock is not None else threading.Lock()
        self.link: Optional[Link] = None
        self.seen: Optional[_Seen] = None  # while two sockets may deliver the same messages
        self.seen_until = 0.0
        self.rotate_at: Optional[float] = None  # monotonic time the rotation is due


class StreamOwner(Protocol):
    """What a user of the supervisor provides (the hooks run in the threads named)."""

    def _socket_url(self, slot: Any, why: str) -> tuple[str, Any]:
        """The URL of a new socket and its tag; ``why`` is ``"open"``, ``"reconnect"``,
        ``"renew"`` or ``"rotate"``. May raise ``BinanceWsError`` (then retried)."""

    def _prepare_socket(self, slot: Any, link: Link) -> None:
        """A new socket is open and held back: make it carry what it must (``SUBSCRIBE``)."""

    def _deliver(self, slot: Any, message: Any) -> None:
        """Under ``slot.lock``, in a reader thread: one message, in order, never a copy."""

    def _deliver_gap(self, slot: Any, gap: StreamGap) -> None:
        """Under ``slot.lock``: a gap, before the first message of the new socket."""

    def _attempt_failed(self, slot: Any, error: BaseException) -> None:
        """A reconnect or rotation attempt failed (it is retried): tell the consumers."""

    def _installed(self, slot: Any, link: Link) -> None:
        """Under ``slot.lock``: ``link`` is now the slot's socket."""


class Supervisor:
    """Keeps the slots of one owner alive: one thread, reconnects, rotations, dedupe.

    Args:
        owner: the stream that uses it (:class:`StreamOwner`).
        config: ``silence_timeout``, ``connect_timeout``, ``close_timeout``,
            ``reconnect_delay``, ``reconnect_max_delay``, ``rotation_interval`` and the
            transport options (a ``ConfigurationWebsocketStreams``).
        stop: set when the owner closes; ends every wait.
        name: prefix of the supervisor thread's name.
        guard: held while a socket is opened, prepared and installed (market streams: their
            control lock, so no control frame goes to a socket being replaced).
        on_command: the owner's own commands (``command(...)``), in the supervisor thread.
        inspect: sees every message of a live socket, in its reader thread, outside the lock.
        on_timer: the owner's timer, called in the supervisor thread with ``time.monotonic()``
            once the time set by :meth:`wake_at` (or its previous answer) has come; it returns
            the next such time, or None. The thread sleeps until then: no polling.
    """

    def __init__(
        self,
        owner: StreamOwner,
        config: Any,
        stop: threading.Event,
        name: str,
        guard: Optional[AbstractContextManager[Any]] = None,
        on_command: Optional[Any] = None,
        inspect: Optional[Any] = None,
        on_timer: Optional[Any] = None,
    ) -> None:
        self._owner = owner
        self._config = config
        self._stop = stop
        self._name = name
        self._guard: AbstractContextManager[Any] = (
            guard if guard is not None else contextlib.nullcontext()
        )
        self._on_command = on_command
        self._inspect = inspect
        self._on_timer = on_timer
        self._timer_due: Optional[float] = None
        self._timer_lock = threading.Lock()
        self._commands: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._thread: Optional[threading.Thread] = None
        self._thread_lock = threading.Lock()
        self._links = itertools.count(1)
        self._opening: set[Link] = set()  # sockets being prepared: close() ends them too
        self._opening_lock = threading.Lock()
        self.slots: list[Slot] = []
        #: Counters: links replaced after a loss, rotations done, copies removed.
        self.reconnects = 0
        self.rotations = 0
        self.duplicates = 0

    # ------------------------------------------------------------------ thread

    def start(self) -> None:
        """Start the supervisor thread (once; not after ``close()``)."""
        with self._thread_lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name=f"{self._name}-supervisor", daemon=True
                )
                self._thread.start()

    def add(self, slot: Slot) -> None:
        """Supervise ``slot`` (its first link already installed)."""
        self.slots.append(slot)
        self.start()

    def wake_at(self, when: float) -> None:
        """Have ``on_timer`` called at ``when`` (``time.monotonic()``) or earlier. Any thread."""
        with self._timer_lock:
            if self._timer_due is not None and self._timer_due <= when:
                return
            self._timer_due = when
        self._commands.put(("tick",))

    def _run_timer(self) -> None:
        with self._timer_lock:
            due = self._timer_due
            now = time.monotonic()
            if self._on_timer is None or due is None or due > now:
                return
            self._timer_due = None
        try:
            nxt = self._on_timer(now)
        except Exception:  # pragma: no cover - a bug must not end supervision
            # pragma: no mutate block - a safety net that no test can reach
            logger.exception("%s: supervisor failed in its timer", self._name)
            nxt = time.monotonic() + 1.0
        if nxt is not None:
            with self._timer_lock:
                if self._timer_due is None or nxt < self._timer_due:
                    self._timer_due = nxt

    def command(self, *command: Any) -> None:
        """Queue one of the owner's commands for ``on_command``, in the supervisor thread."""
        self._commands.put(command)

    def close(self, timeout: Optional[float]) -> None:
        """Stop: close every socket (failing whatever waits on one) and join the thread."""
        self._stop.set()
        self._commands.put(("stop",))
        with self._opening_lock:  # a socket being prepared (SUBSCRIBE waiting) fails at once
            opening = list(self._opening)
        for link in opening:
            assert link.conn is not None
            link.conn.close(0)
        for slot in list(self.slots):
            self._close_links(slot, timeout)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        for slot in list(self.slots):  # anything installed meanwhile
            self._close_links(slot, timeout)

    def _close_links(self, slot: Slot, timeout: Optional[float]) -> None:
        link = slot.link
        if link is not None and link.conn is not None:
            link.conn.close(timeout)
            with slot.lock:
                link.state = RETIRED

    def _run(self) -> None:
        while True:
            self._run_timer()
            due = min((s.rotate_at for s in self.slots if s.rotate_at is not None), default=None)
            timer = self._timer_due
            if timer is not None and (due is None or timer < due):
                due = timer
            try:
                wait = None if due is None else max(0.0, due - time.monotonic())
                command = self._commands.get(timeout=wait)
            except queue.Empty:
                now = time.monotonic()
                for slot in list(self.slots):
                    if slot.rotate_at is not None and now >= slot.rotate_at:
                        self._guarded(self.rotate, slot)
                continue
            kind = command[0]
            if kind == "stop" or self._stop.is_set():
                return
            if kind == "lost":
                _, slot, link, start, detail = command
                if slot.link is link:
                    self._guarded(self.reconnect, slot, "reconnect", start, detail, "reconnect")
            elif kind != "tick" and self._on_command is not None:
                self._guarded(self._on_command, *command)

    def _guarded(self, fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # pragma: no cover - a bug must not end supervision
            # pragma: no mutate block - a safety net that no test can reach
            logger.exception("%s: supervisor failed in %s", self._name, fn.__name__)

    # ------------------------------------------------------------------ sockets

    def open(self, slot: Slot, why: str) -> Link:
        """Open a socket for ``slot`` (held back: PENDING) and let the owner prepare it.

        Raises:
            BinanceWsError: the URL, the connection or the preparation failed.
        """
        cfg = self._config
        url, tag = self._owner._socket_url(slot, why)
        link = Link(tag, next(self._links))
        silence = cfg.silence_timeout
        link.conn = Connection(
            url,
            open_timeout=cfg.connect_timeout,
            # A burst read at once is delivered under one hold of the lock; no Python frame
            # between the reader and `_accept_many`.
            on_messages=functools.partial(self._accept_many, slot, link),
            on_close=lambda conn, cause: self._closed(slot, link, conn, cause),
            # Ping when idle for half the silence timeout: a live socket answers, so only a
            # dead or half-open one stays silent for the whole `silence_timeout`.
            ping_interval=silence / 2 if silence else None,
            dead_after=silence or None,
            name=f"{slot.name}-{link.number}",
            connect_options=connect_options(url, cfg, cfg.connect_timeout),
        )
        with self._opening_lock:
            self._opening.add(link)
        try:
            if self._stop.is_set():  # closed while connecting: leave nothing behind
                raise ConnectionClosed("the stream is closed")
            self._owner._prepare_socket(slot, link)
        except BaseException:
            link.conn.close(0)
            raise
        finally:
            with self._opening_lock:
                self._opening.discard(link)
        return link

    def install(
        self,
        slot: Slot,
        link: Link,
        gap: Optional[StreamGap] = None,
        old: Optional[Link] = None,
        drain: bool = False,
    ) -> bool:
        """Make ``link`` the slot's socket; False (nothing changed) if it closed meanwhile.

        Without ``drain``: the gap, then the held-back messages, then live; the ``old`` socket
        is ignored from now on. With ``drain`` (rotation): the old socket keeps delivering
        until :meth:`retire`; the new one's messages wait until :meth:`rotate` has retired it.
        """
        assert link.conn is not None
        with slot.lock:
            if self._stop.is_set() or link.conn.closed:
                return False
            if drain and old is not None and old.state == ACTIVE:
                old.state = DRAINING
            else:
                if old is not None:
                    old.state = RETIRED
                if gap is not None:
                    self._owner._deliver_gap(slot, gap)
                self._flush(slot, link)
            slot.link = link
            self._owner._installed(slot, link)
            interval = self._config.rotation_interval
            slot.rotate_at = None if interval is None else time.monotonic() + interval
        self._commands.put(("tick",))  # the supervisor recomputes when the next rotation is due
        return True

    def _flush(self, slot: Slot, link: Link) -> None:
        """Under the lock: deliver what ``link`` held back (copies removed); then it is live."""
        for message in link.buffer:
            if slot.seen is None or self._fresh(slot, message):
                self._owner._deliver(slot, message)
        link.buffer = []
        link.state = ACTIVE

    def retire(self, slot: Slot, link: Optional[Link]) -> bool:
        """Close a replaced socket; return True if it closed cleanly (lost nothing)."""
        if link is None or link.conn is None:
            return True
        link.conn.close(self._config.close_timeout)
        with slot.lock:
            link.state = RETIRED
        return link.conn.cause is None

    # ------------------------------------------------------------------ reader side

    def _accept(self, slot: Slot, link: Link, message: Any) -> None:
        """Reader thread: deliver, hold back or drop one message (under the slot's lock)."""
        self._accept_many(slot, link, [message])

    def _accept_many(self, slot: Slot, link: Link, messages: list[Any]) -> None:
        """Reader thread: deliver, hold back or drop messages, in order, under one hold of the
        slot's lock."""
        with slot.lock:
            state = link.state
            if state is RETIRED:
                return
            if state is PENDING:
                link.buffer += messages
            else:
                deliver = self._owner._deliver
                if slot.seen is None:
                    for message in messages:
                        deliver(slot, message)
                else:
                    for message in messages:
                        if self._fresh(slot, message):
                            deliver(slot, message)
        if self._inspect is not None:
            for message in messages:
                self._inspect(slot, link, message)

    def _fresh(self, slot: Slot, message: Any) -> bool:
        """Under the lock: False for a copy of a message delivered during an overlap."""
        seen = slot.seen
        if seen is None:
            return True
        if time.monotonic() > slot.seen_until:
            slot.seen = None
            return True
        if seen.add(message):
            return True
        self.duplicates += 1
        return False

    def _dedupe(self, slot: Slot, on: bool) -> None:
        """Drop copies while two sockets may deliver the same messages, and a grace after."""
        with slot.lock:
            if on:
                slot.seen, slot.seen_until = _Seen(), float("inf")
            elif slot.seen is not None:
                slot.seen_until = min(slot.seen_until, time.monotonic() + DEDUPE_GRACE)

    def _closed(
        self, slot: Slot, link: Link, conn: Connection, cause: Optional[BaseException]
    ) -> None:
        """Reader thread, once per socket: the slot's current socket ending is a loss."""
        with slot.lock:
            if link is not slot.link or link.state is RETIRED or self._stop.is_set():
                return
        last_frame = now_ms() - int((time.monotonic() - conn.last_frame_at) * 1000)
        self._commands.put(("lost", slot, link, last_frame, f"stream connection lost: {cause}"))

    # ------------------------------------------------------------------ supervisor thread

    def reconnect(self, slot: Slot, reason: str, start: int, detail: str, why: str) -> None:
        """Replace the slot's socket with backoff and jitter; a gap of ``reason`` first."""
        old = slot.link
        if old is not None and old.conn is not None and not old.conn.closed:
            self._dedupe(slot, True)  # both sockets may deliver until the old one is retired
        try:
            self._reconnect(slot, old, reason, start, detail, why)
        finally:
            self._dedupe(slot, False)

    def _reconnect(
        self, slot: Slot, old: Optional[Link], reason: str, start: int, detail: str, why: str
    ) -> None:
        cfg = self._config
        delay = cfg.reconnect_delay
        attempt = 0
        logger.warning("%s: %s; reconnecting", slot.name, detail)
        while not self._stop.is_set():
            attempt += 1
            with self._guard:
                if self._stop.is_set():
                    return
                try:
                    link = self.open(slot, why)
                except BinanceWsError as exc:
                    self._owner._attempt_failed(slot, exc)
                else:
                    end = max(start, now_ms())
                    gap = StreamGap(reason=reason, start=start, end=end, detail=detail)
                    if self.install(slot, link, gap, old):
                        self.reconnects += 1
                        logger.info(
                            "%s: back after %d attempt(s), gap %.1f s",
                            slot.name,
                            attempt,
                            gap.duration,
                        )
                        break
                    assert link.conn is not None
                    link.conn.close(0)
            if self._stop.wait(delay * (0.5 + random.random())):
                return
            delay = min(delay * 2, cfg.reconnect_max_delay)
        else:
            return
        self.retire(slot, old)

    def rotate(self, slot: Slot) -> None:
        """Make-before-break: open and prepare a new socket, overlap, close the old one."""
        cfg = self._config
        old = slot.link
        with self._guard:
            if self._stop.is_set() or old is None or old.conn is None or old.conn.closed:
                slot.rotate_at = None  # a loss is being handled: its reconnect reschedules
                return
            self._dedupe(slot, True)
            try:
                new = self.open(slot, "rotate")
                opened = now_ms()
                installed = self.install(slot, new, None, old, drain=True)
                if not installed:
                    assert new.conn is not None
                    new.conn.close(0)
            except BinanceWsError as exc:
                self._owner._attempt_failed(slot, exc)
                installed = False
            if not installed:
                self._dedupe(slot, False)
                slot.rotate_at = time.monotonic() + max(cfg.reconnect_delay, 1.0)
                logger.warning("%s: rotation failed; retrying", slot.name)
                return
        self._stop.wait(ROTATION_OVERLAP)  # both deliver; the old socket leads
        last_frame = now_ms()
        if old.conn is not None:
            last_frame -= int((time.monotonic() - old.conn.last_frame_at) * 1000)
        clean = self.retire(slot, old)
        with slot.lock:
            slot.seen_until = time.monotonic() + DEDUPE_GRACE
            if self._stop.is_set():
                return
            if not clean and last_frame < opened:
                detail = "the replaced socket did not close cleanly during rotation"
                self._owner._deliver_gap(
                    slot, StreamGap("reconnect", last_frame, opened, detail=detail)
                )
            if slot.link is new and new.state is PENDING:
                self._flush(slot, new)
        self.rotations += 1
        logger.info("%s: stream connection rotated", slot.name)


class Supervised:
    """The supervisor's counters, read on the stream that owns it (both streams share them)."""

    _supervisor: Supervisor

    @property
    def reconnects(self) -> int:
        """Sockets replaced after a loss (or, for the user data stream, an expired key)."""
        return self._supervisor.reconnects

    @property
    def rotations(self) -> int:
        """Make-before-break rotations done."""
        return self._supervisor.rotations

    @property
    def duplicates(self) -> int:
        """Copies dropped during rotation overlaps."""
        return self._supervisor.duplicates
