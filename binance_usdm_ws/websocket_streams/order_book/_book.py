"""``LocalOrderBook``: one symbol's book, never wrong and never silently stale.

The algorithm, as ``docs/local_order_book.md`` states it, is in :class:`LocalOrderBook`'s
``_on_event`` / ``_on_snapshot`` / ``_join`` / ``_resync``: events are buffered until a ``depth``
snapshot (requested from the client's ``SnapshotScheduler``) arrives, the first event joins it
(``U <= lastUpdateId <= u``), then every ``pu`` must be the previous ``u``; a gap, a reconnect,
an overflow or a crossed book unsyncs it and asks for a new snapshot on the same subscription.
Its two sides (``_side.py``) are read under one lock as immutable copies; its feed
(``_feed.py``) applies the events in one thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from decimal import InvalidOperation
from typing import TYPE_CHECKING, Any, Callable, Literal, Optional, overload

from ..._core._stream_delivery import StreamConsumer, StreamGap
from ...errors import BinanceWsError, ServerError

if TYPE_CHECKING:
    from ._feed import _Feed
    from ._manager import OrderBookManager


from ._items import (
    BookNotSynced,
    BookRefused,
    BookResync,
    BookSnapshot,
    BookUpdate,
    Level,
    Levels,
    _BookItem,
)
from ._side import _levels, _Side

__all__ = ["LocalOrderBook"]

logger = logging.getLogger("binance_usdm_ws")
#: Buffered events per book while it waits for a snapshot (the oldest go first).
_MAX_BUFFER = 10_000


class LocalOrderBook(StreamConsumer["_BookItem"]):
    """A local order book of one symbol, kept from ``<symbol>@depth@<speed>`` and ``depth``.

    Made by ``client.local_order_book("BTCUSDT")`` or ``client.local_order_books([...])``.

    Reads (from any thread) return immutable copies taken under the book's lock, so they
    always show whole events: :meth:`best_bid`, :meth:`best_ask`, :meth:`bids`, :meth:`asks`,
    :meth:`snapshot`. While the book is not synced they raise :class:`BookNotSynced`, or
    return ``None`` with ``strict=False`` — never stale data as if it were fresh.

    Changes: iterate the book (``for change in book``), :meth:`get`, or register callbacks
    (``on(BookUpdate, fn)``, ``on_any``, ``on_error``): ``BookUpdate``, ``BookResync`` and
    ``StreamGap`` items, in order, from the first time one of these is used on (a book nobody
    consumes keeps no backlog). The change queue is bounded (``queue_size`` of the streams
    configuration); a consumer that falls behind gets a ``StreamGap(reason="overflow")`` in
    it — the book itself stays correct.

    Attributes:
        symbol: Symbol (upper case).
        limit: Levels per side asked of each ``depth`` snapshot.
        max_levels: Levels kept per side (trimmed by numeric order).
        resyncs: Times the book was marked unsynced.
        snapshots: Snapshots received.
        stale_snapshots: Snapshots found older than the stream (another was fetched).
        duplicates: Events ignored because the book had them already (``u`` ≤ its update id).
    """

    def __init__(
        self, manager: OrderBookManager, symbol: str, limit: int, max_levels: int, queue: int
    ) -> None:
        super().__init__(queue, f"binance-usdm-ws-book-{symbol}", decode=_same)
        self._delivery_wanted = True
        self._manager = manager
        self.symbol = symbol
        self.limit = limit
        self.max_levels = max_levels
        self._lock = threading.Condition(threading.Lock())
        self._bids = _Side(True)
        self._asks = _Side(False)
        self._synced = False
        self._reason = "syncing"
        self._last_id = 0
        self._event_time: Optional[int] = None
        self._transaction_time: Optional[int] = None
        self._recording = False
        # The feed thread's own state (no lock needed: only it touches these).
        self._feed: Optional[_Feed] = None
        self._pending: deque[dict[str, Any]] = deque(maxlen=_MAX_BUFFER)
        self._snap: Optional[tuple[int, Optional[int], Optional[int], list[Any], list[Any]]] = None
        self._generation = 0  # bumped at every resync: older snapshot replies are ignored
        self._joining = False  # synced at a snapshot: the next diff must join it
        self._refusal: Optional[BookRefused] = None  # the exchange refused the book for good
        self._queued = False  # guarded by the scheduler's lock
        self.resyncs = 0
        self.snapshots = 0
        self.stale_snapshots = 0
        self.duplicates = 0

    # ------------------------------------------------------------------ reads

    @property
    def synced(self) -> bool:
        """Whether reads return data now."""
        return self._synced

    @property
    def last_update_id(self) -> Optional[int]:
        """The book's update id while synced, else ``None``."""
        with self._lock:
            return self._last_id if self._synced else None

    def _check(self, strict: bool) -> bool:
        if self._synced:
            return True
        if strict:
            raise self._refusal or BookNotSynced(self.symbol, self._reason)
        return False

    def best_bid(self, *, strict: bool = True) -> Optional[Level]:
        """The best bid ``(price, quantity)``; ``None`` if there is no bid.

        Raises:
            BookNotSynced: not synced (with ``strict=False``: ``None`` instead).
        """
        with self._lock:
            if not self._check(strict):
                return None
            levels = self._bids.top(1)
        return levels[0] if levels else None

    def best_ask(self, *, strict: bool = True) -> Optional[Level]:
        """The best ask ``(price, quantity)``; ``None`` if there is no ask.

        Raises:
            BookNotSynced: not synced (with ``strict=False``: ``None`` instead).
        """
        with self._lock:
            if not self._check(strict):
                return None
            levels = self._asks.top(1)
        return levels[0] if levels else None

    @overload
    def bids(self, levels: Optional[int] = None, *, strict: Literal[True] = True) -> Levels: ...
    @overload
    def bids(self, levels: Optional[int] = None, *, strict: bool) -> Optional[Levels]: ...
    def bids(self, levels: Optional[int] = None, *, strict: bool = True) -> Optional[Levels]:
        """Up to ``levels`` bids (all kept ones if ``None``), best first, as an immutable tuple.

        Raises:
            BookNotSynced: not synced (with ``strict=False``: ``None`` instead).
        """
        with self._lock:
            return self._bids.top(levels) if self._check(strict) else None

    @overload
    def asks(self, levels: Optional[int] = None, *, strict: Literal[True] = True) -> Levels: ...
    @overload
    def asks(self, levels: Optional[int] = None, *, strict: bool) -> Optional[Levels]: ...
    def asks(self, levels: Optional[int] = None, *, strict: bool = True) -> Optional[Levels]:
        """Up to ``levels`` asks (all kept ones if ``None``), best first, as an immutable tuple.

        Raises:
            BookNotSynced: not synced (with ``strict=False``: ``None`` instead).
        """
        with self._lock:
            return self._asks.top(levels) if self._check(strict) else None

    @overload
    def snapshot(
        self, levels: Optional[int] = None, *, strict: Literal[True] = True
    ) -> BookSnapshot: ...
    @overload
    def snapshot(self, levels: Optional[int] = None, *, strict: bool) -> Optional[BookSnapshot]: ...
    def snapshot(
        self, levels: Optional[int] = None, *, strict: bool = True
    ) -> Optional[BookSnapshot]:
        """Both sides (up to ``levels`` each) and the update id, taken atomically.

        Raises:
            BookNotSynced: not synced (with ``strict=False``: ``None`` instead).
        """
        with self._lock:
            if not self._check(strict):
                return None
            return BookSnapshot(
                self.symbol,
                self._last_id,
                self._event_time,
                self._transaction_time,
                self._bids.top(levels),
                self._asks.top(levels),
            )

    def wait_synced(self, timeout: Optional[float] = None) -> LocalOrderBook:
        """Block until the book is synced; returns the book.

        Raises:
            BookRefused: the exchange refused the book (e.g. -1121 for an unknown symbol), at
                once, with the server's ``status``, ``code`` and ``msg``.
            BookNotSynced: not synced within ``timeout`` seconds, or the book was closed.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while not self._synced:
                if self._refusal is not None:
                    raise self._refusal
                if self._reason == "closed":
                    raise BookNotSynced(self.symbol, "closed")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise BookNotSynced(
                        self.symbol,
                        self._reason,
                        f"the {self.symbol} order book was not synced within {timeout} s "
                        f"({self._reason})",
                    )
                self._lock.wait(remaining)
        return self

    # ------------------------------------------------------------------ changes

    def _record(self, item: _BookItem) -> None:
        if self._recording:
            self._push(item)

    def _push(self, item: _BookItem) -> None:
        with self._cond:
            if not self._closed:
                if isinstance(item, StreamGap):
                    self._buffer.push_notice(item)
                else:
                    self._buffer.push_raw(item)
                self._cond.notify_all()

    def _start_recording(self) -> None:
        """Keep the changes from now on. A consumer that starts on a synced book gets the whole
        book first (``BookUpdate(snapshot=True)`` at its update id), whether the book synced
        before or after: what it applies then is always complete."""
        if self._recording:
            return
        with self._lock:  # no event is applied meanwhile: the whole book, then what follows
            if self._recording:
                return
            self._recording = True
            if self._synced:
                self._push(
                    BookUpdate(
                        self.symbol, self._last_id, self._last_id, None, self._event_time,
                        self._transaction_time, self._bids.top(None), self._asks.top(None),
                        snapshot=True,
                    )
                )  # fmt: skip

    def get(self, timeout: Optional[float] = None) -> Optional[_BookItem]:
        """The next ``BookUpdate``, ``BookResync`` or ``StreamGap``; ``None`` on timeout or
        once the book is closed and drained."""
        self._start_recording()
        return super().get(timeout)

    def __iter__(self) -> LocalOrderBook:
        self._start_recording()
        return self

    def __next__(self) -> _BookItem:
        return super().__next__()

    def on(self, event_type: type[Any], handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Call ``handler(item)`` for every ``BookUpdate``/``BookResync``/``StreamGap`` that is
        an instance of ``event_type``, in the book's delivery thread, in order."""
        self._start_recording()
        return super().on(event_type, handler)

    def on_any(self, handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Call ``handler(item)`` for every change item (after the ``on`` handlers)."""
        self._start_recording()
        return super().on_any(handler)

    def close(self) -> None:
        """Stop keeping this book (the stream is unsubscribed with the last book of its
        ``local_order_books`` call). Idempotent; reads raise ``BookNotSynced("closed")``."""
        feed = self._feed
        if feed is not None:
            feed.remove(self)
        self._closed_state()

    def _closed_state(self) -> None:
        with self._lock:
            self._synced = False
            self._reason = "closed"
            self._bids.clear()
            self._asks.clear()
            self._lock.notify_all()
        self._end_delivery()

    def __enter__(self) -> LocalOrderBook:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = f"synced u={self._last_id}" if self._synced else f"not synced ({self._reason})"
        return f"<LocalOrderBook {self.symbol} {state} resyncs={self.resyncs}>"

    # ------------------------------------------------------------------ the algorithm
    # Everything below runs in the feed's thread only.

    def _on_event(self, event: dict[str, Any]) -> None:
        """One ``depthUpdate`` of this symbol, in stream order."""
        if self._refusal is not None:
            return
        if self._synced:
            self._continue(event)
            return
        self._pending.append(event)  # buffer until a snapshot joins
        if self._snap is not None:
            self._join()

    def _on_snapshot(self, generation: int, reply: Any) -> None:
        """A ``depth`` reply (or its failure) requested at ``generation``."""
        if generation != self._generation or self._synced or self._reason == "closed":
            return  # asked before a later resync: the stream it could join is gone
        try:
            result = reply.raw.get("result") or {}
            bids = _levels(result.get("bids"))
            asks = _levels(result.get("asks"))
            last = int(result["lastUpdateId"])
        except (AttributeError, KeyError, TypeError, ValueError, InvalidOperation) as exc:
            self._report(BinanceWsError(f"{self.symbol}: unreadable depth snapshot: {exc}"))
            self._manager.scheduler.request(self, resync=True)
            return
        self.snapshots += 1
        self._snap = (last, result.get("E"), result.get("T"), bids, asks)
        self._join()

    def _join(self) -> None:
        """Drop events older than the snapshot; load it when the next one joins it, or at once
        when no event newer than it is buffered."""
        assert self._snap is not None
        last = self._snap[0]
        pending = self._pending
        while pending and pending[0]["u"] < last:
            pending.popleft()
        if not pending:
            # The subscription was acknowledged before this snapshot was asked for, so every
            # diff after lastUpdateId is still to come: the book is in sync at the snapshot
            # (a quiet symbol sends no diff for a long time). The next diff must still join
            # it (U <= lastUpdateId <= u, or pu == lastUpdateId); one that does not means a
            # diff was missed in between, and the book resyncs (``_continue``).
            self._load(joining=True)
            return
        first = pending[0]
        if not (first["U"] <= last <= first["u"] or first["pu"] == last):
            # Events between the snapshot and the first buffered one are missing: the
            # snapshot is too old. Fetch another and keep buffering (no resubscription).
            self.stale_snapshots += 1
            self._snap = None
            self._manager.scheduler.request(self, resync=self.resyncs > 0)
            return
        self._load(joining=False)
        events = list(pending)
        pending.clear()
        # The first event joins the snapshot: U <= lastUpdateId <= u (or pu == lastUpdateId).
        if not self._apply(events[0], loading=True):
            return
        for event in events[1:]:
            if not self._continue(event):
                return

    def _load(self, joining: bool) -> None:
        """Load the snapshot into the book; with ``joining`` it is synced now, at the snapshot,
        and the next diff is checked by the join rule."""
        assert self._snap is not None
        last, event_time, transaction_time, bids, asks = self._snap
        self._snap = None
        self._joining = joining
        with self._lock:
            self._bids.load(bids, len(bids) >= self.limit, self.max_levels)
            self._asks.load(asks, len(asks) >= self.limit, self.max_levels)
            self._last_id = last
            self._event_time, self._transaction_time = event_time, transaction_time
            if joining:
                self._synced = True
                self._reason = ""
                self._lock.notify_all()
            recording = self._recording  # as of this change (see ``_start_recording``)
            whole = (self._bids.top(None), self._asks.top(None)) if joining else None
        if whole is not None and recording:
            item = BookUpdate(
                self.symbol, last, last, None, event_time, transaction_time, *whole, snapshot=True
            )
            self._push(item)

    def _continue(self, event: dict[str, Any]) -> bool:
        """An event after the book's update id: ignore an old one, apply the next, else gap."""
        u = event["u"]
        if u <= self._last_id:
            self.duplicates += 1  # a duplicate, or older than the book (overlap, replay)
            return True
        if event["pu"] != self._last_id and not (self._joining and event["U"] <= self._last_id):
            self._resync(
                "gap",
                f"pu {event['pu']} is not the last applied u {self._last_id}",
                event["pu"],
                keep=event,
            )
            return False
        self._joining = False  # the first diff after a snapshot joined it
        return self._apply(event)

    def _apply(self, event: dict[str, Any], loading: bool = False) -> bool:
        """Apply one whole event (absolute quantities, 0 removes), then check the book.

        The book's lock is held for the whole event, so a reader sees all of it or none; an
        event that cannot be read unsyncs the book before the lock is released.
        """
        first, u, pu = event["U"], event["u"], event["pu"]  # ints: the feed checked them
        keep = self.max_levels
        problem = ""
        with self._lock:
            loaded_at = self._last_id  # when loading: the snapshot's lastUpdateId
            bids, asks = self._bids, self._asks
            try:
                if event.get("s") != self.symbol or first > u:
                    raise ValueError(f"U {first} > u {u}" if first > u else "another symbol")
                bids.update(event["b"])
                asks.update(event["a"])
            except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
                problem = f"unreadable depth event: {exc!r}"
                self._synced = False  # at once: no reader may see half an event
                self._reason = "invalid"
            else:
                bids.trim(keep)
                asks.trim(keep)
                self._last_id = u
                self._event_time, self._transaction_time = event.get("E"), event.get("T")
                bid, ask = bids.best(), asks.best()
                if bid is not None and ask is not None and bid >= ask:
                    problem = f"best bid {bid} >= best ask {ask} after u {u}"
                    reason = "crossed"
                floor = min(keep, self.limit) // 2
                if not problem and (
                    (bids.horizon is not None and len(bids.prices) < floor)
                    or (asks.horizon is not None and len(asks.prices) < floor)
                ):
                    problem = f"fewer than {floor} known levels left on a side"
                    reason = "horizon"
                if problem:
                    self._synced = False
                    self._reason = reason
                elif loading:
                    self._synced = True
                    self._reason = ""
                    self._lock.notify_all()
                recording = self._recording  # as of this event (see ``_start_recording``)
                whole = (bids.top(None), asks.top(None)) if loading and recording else None
        if problem:
            self._resync(self._reason, problem)
            return False
        if recording:
            if whole is not None:
                item = BookUpdate(
                    self.symbol, loaded_at, u, None, event.get("E"), event.get("T"), *whole,
                    snapshot=True,
                )  # fmt: skip
            else:
                item = BookUpdate(
                    self.symbol, first, u, pu, event.get("E"), event.get("T"),
                    tuple([Level(*level) for level in _levels(event["b"])]),
                    tuple([Level(*level) for level in _levels(event["a"])]),
                )  # fmt: skip
            self._push(item)
        return True

    def _on_gap(self, gap: StreamGap) -> None:
        """The stream lost events (reconnect, overflow): resync on the same subscription."""
        self._record(gap)
        if self._refusal is not None:
            return
        # The stream delivers a reconnect gap once the new socket's SUBSCRIBE was acknowledged:
        # the subscription is live again, so a snapshot may be asked for at once (a quiet
        # symbol would never send the event that used to be awaited here).
        self._resync(gap.reason, gap.detail)

    def _refuse(self, generation: int, error: ServerError) -> None:
        """A definite refusal of the book's snapshot: the book fails for good."""
        if generation != self._generation or self._synced or self._reason == "closed":
            return
        refusal = BookRefused(self.symbol, error)
        refusal.__cause__ = error
        with self._lock:
            self._refusal = refusal
            self._reason = "refused"
            self._lock.notify_all()
        self._pending.clear()
        logger.warning("order book %s: refused (%s)", self.symbol, error)

    def _resync(
        self,
        reason: str,
        detail: str,
        got: Optional[int] = None,
        keep: Optional[dict[str, Any]] = None,
    ) -> None:
        """Mark the book unsynced, drop what it knows, and sync again."""
        with self._lock:
            expected = self._last_id if reason == "gap" else None
            self._synced = False
            self._reason = reason
            self._bids.clear()
            self._asks.clear()
        self._generation += 1
        self._snap = None
        self._joining = False
        self._pending.clear()
        if keep is not None:
            self._pending.append(keep)  # the event that showed the gap may join the next one
        self.resyncs += 1
        logger.info("order book %s: resync (%s: %s)", self.symbol, reason, detail)
        self._record(BookResync(self.symbol, reason, detail, expected, got))
        self._manager.scheduler.request(self, resync=True)


def _same(item: Any) -> Any:
    return item
