"""Local order books: the diff-depth stream joined to WS API ``depth`` snapshots, by Binance's
USDⓈ-M rules, never wrong and never silently stale.

Pieces (one set per client, made on first use by ``client.local_order_book(s)``):

* a **feed** per ``local_order_books`` call: one acknowledged subscription (a market streams
  handle) of every ``<symbol>@depth@<speed>`` of the call, shared sockets, and the one thread
  that updates its books (the book is updated in one place);
* one **snapshot scheduler**: ``depth`` requests over the WS API, resyncs before first syncs,
  within a share of the ``REQUEST_WEIGHT`` limit the replies' ``rateLimits`` report;
* the **books**: two sorted sides of exact ``Decimal`` levels, read under a lock as immutable
  copies, and a stream of ``BookUpdate`` / ``BookResync`` / ``StreamGap`` for the user.

The algorithm, as ``docs/local_order_book.md`` states it, is in :class:`LocalOrderBook`'s
``_on_event`` / ``_on_snapshot`` / ``_join`` / ``_resync``.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import random
import threading
import time
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Callable, Literal, NamedTuple, Optional, Union, overload

import attrs

from .._core._params import USE_CLIENT_DEFAULT, Timeout
from .._core._stream_delivery import StreamConsumer, StreamGap
from ..errors import BadRequest, BinanceWsError, InvalidRequest, RateLimited, ServerError
from ._builders import PublicApi
from ._enums import DepthUpdateSpeed

if TYPE_CHECKING:
    from ..websocket_api._requests import Response
    from ..websocket_api._websocket_api import WebsocketApi
    from ._client import StreamHandle, WebsocketStreams

__all__ = [
    "BookNotSynced",
    "BookRefused",
    "BookResync",
    "BookSnapshot",
    "BookUpdate",
    "Level",
    "LocalOrderBook",
    "LocalOrderBooks",
    "OrderBookManager",
]

logger = logging.getLogger("binance_usdm_ws")

#: Weight of ``depth`` by ``limit`` (Binance's table; the same over REST and the WS API).
DEPTH_WEIGHT = {5: 2, 10: 2, 20: 2, 50: 2, 100: 5, 500: 10, 1000: 20}
_SECONDS = {"SECOND": 1.0, "MINUTE": 60.0, "HOUR": 3600.0, "DAY": 86400.0}
#: Buffered events per book while it waits for a snapshot (the oldest go first).
_MAX_BUFFER = 10_000
_MAX_IN_FLIGHT = 8
#: Never let the whole REQUEST_WEIGHT count (the user's calls included) pass this fraction.
_CEILING = 0.9
_WAKE: dict[str, Any] = {"wake": True}  # posted into a feed's queue: run the posted work
_BookItem = Union["BookUpdate", "BookResync", StreamGap]


class Level(NamedTuple):
    """One price level: ``(price, quantity)``, both exact ``Decimal``."""

    price: Decimal
    quantity: Decimal


Levels = tuple[Level, ...]


class BookNotSynced(BinanceWsError):
    """A read of a local order book that is not synced (yet, or any more).

    Attributes:
        symbol: The book's symbol.
        reason: Why it is not synced: ``"syncing"`` (never synced yet), or the reason of the
            latest :class:`BookResync` (``"gap"``, ``"reconnect"``, ``"overflow"``,
            ``"crossed"``, ``"horizon"``, ``"invalid"``), ``"refused"`` (see
            :class:`BookRefused`), or ``"closed"``.
    """

    def __init__(self, symbol: str, reason: str, message: str = "") -> None:
        super().__init__(message or f"the {symbol} order book is not synced ({reason})")
        self.symbol = symbol
        self.reason = reason


#: Codes of a 400 answer that may pass (the request itself was fine): retried, never final.
_TRANSIENT_CODES = frozenset({-1000, -1001, -1003, -1006, -1007, -1008, -1015, -1021})


def _definite(error: BaseException) -> bool:
    """Whether a failed ``depth`` request says the book can never sync (e.g. -1121)."""
    return isinstance(error, BadRequest) and error.code not in _TRANSIENT_CODES


class BookRefused(BookNotSynced):
    """The exchange refused the book for good: it will never sync and is not retried.

    Raised at once by :meth:`LocalOrderBook.wait_synced` and the reads of a book whose ``depth``
    snapshot was answered with a definite error, e.g. ``-1121 Invalid symbol.`` for a symbol
    the exchange does not list (``reason`` is ``"refused"``). A ``SUBSCRIBE`` the server rejects
    fails the ``local_order_book(s)`` call itself, with ``SubscriptionRejected``.

    Attributes:
        status: The answer's HTTP-like status (400).
        code: Binance's error code (e.g. -1121).
        msg: Binance's message (e.g. ``"Invalid symbol."``).
        error: The error the ``depth`` request raised (a ``BadRequest``).
    """

    def __init__(self, symbol: str, error: ServerError, message: str = "") -> None:
        super().__init__(
            symbol,
            "refused",
            message
            or f"the {symbol} order book was refused: status {error.status}, "
            f"code {error.code}: {error.msg}",
        )
        self.error = error
        self.status = error.status
        self.code = error.code
        self.msg = error.msg


@attrs.frozen
class BookSnapshot:
    """One consistent copy of a book: both sides as of ``last_update_id``.

    Attributes:
        symbol: Symbol.
        last_update_id: Update id of the book (``u`` of the last applied event, or the
            snapshot's ``lastUpdateId``).
        event_time: Event time (``E``, ms) of the last applied event or snapshot.
        transaction_time: Transaction time (``T``, ms) of the last applied event or snapshot.
        bids: Bid levels, best (highest) first.
        asks: Ask levels, best (lowest) first.
    """

    symbol: str
    last_update_id: int
    event_time: Optional[int]
    transaction_time: Optional[int]
    bids: Levels
    asks: Levels


@attrs.frozen
class BookUpdate:
    """What one applied diff event (or a loaded snapshot) changed in a book.

    Attributes:
        symbol: Symbol.
        first_update_id: ``U`` of the event (the snapshot's ``lastUpdateId`` for a snapshot).
        last_update_id: ``u`` of the event: the book's update id now.
        previous_update_id: ``pu`` of the event (``None`` for a snapshot).
        event_time: ``E`` (ms).
        transaction_time: ``T`` (ms).
        bids: Changed bid levels with their new absolute quantity (0: removed).
        asks: Changed ask levels likewise.
        snapshot: True when the book was (re)loaded: ``bids``/``asks`` are then the whole
            book, and the first update after a ``BookResync`` is always one.
    """

    symbol: str
    first_update_id: int
    last_update_id: int
    previous_update_id: Optional[int]
    event_time: Optional[int]
    transaction_time: Optional[int]
    bids: Levels
    asks: Levels
    snapshot: bool = False


@attrs.frozen
class BookResync:
    """The book was marked unsynced and is being synced again on the same subscription.

    Reads raise :class:`BookNotSynced` until a ``BookUpdate`` with ``snapshot=True`` follows.

    Attributes:
        symbol: Symbol.
        reason: ``"gap"`` (an event's ``pu`` was not the last applied ``u``),
            ``"reconnect"`` / ``"overflow"`` (a ``StreamGap`` of the stream, delivered just
            before), ``"crossed"`` (best bid ≥ best ask after a whole event), ``"horizon"``
            (fewer than half the kept levels are still known after the market moved),
            ``"invalid"`` (an event that could not be read).
        detail: Human-readable detail.
        expected: For ``"gap"``: the ``pu`` expected (the last applied ``u``).
        got: For ``"gap"``: the ``pu`` received.
    """

    symbol: str
    reason: str
    detail: str = ""
    expected: Optional[int] = None
    got: Optional[int] = None


class _Side:
    """One side: ``dict`` price → quantity plus the prices in ascending order (bisect).

    ``horizon`` is the worst price still known exactly (the snapshot's last level when it was
    cut at its ``limit``, or the last kept level after a trim); levels beyond it are unknown
    and never stored, so the side holds only exact levels.
    """

    __slots__ = ("qty", "prices", "is_bid", "horizon")

    def __init__(self, is_bid: bool) -> None:
        self.qty: dict[Decimal, Decimal] = {}
        self.prices: list[Decimal] = []  # ascending: the best bid is last, the best ask first
        self.is_bid = is_bid
        self.horizon: Optional[Decimal] = None

    def clear(self) -> None:
        self.qty.clear()
        self.prices.clear()
        self.horizon = None

    def load(self, levels: list[tuple[Decimal, Decimal]], cut: bool, keep: int) -> None:
        self.clear()
        for price, qty in levels:
            if qty:
                self.qty[price] = qty
        self.prices = sorted(self.qty)
        if cut and levels:
            self.horizon = levels[-1][0]
        self.trim(keep)

    def update(self, levels: Any) -> None:
        """Apply ``[["price", "qty"], ...]`` from the wire: absolute quantities, 0 removes.

        Raises ``ValueError``/``InvalidOperation``/``TypeError`` for a level that is not two
        finite numbers with a quantity ≥ 0 (the caller then unsyncs the book).
        """
        book, prices, horizon, is_bid = self.qty, self.prices, self.horizon, self.is_bid
        for raw_price, raw_qty in levels:
            price, qty = Decimal(raw_price), Decimal(raw_qty)
            if qty < 0 or not (price.is_finite() and qty.is_finite()):  # NaN raises here
                raise ValueError(f"bad level {raw_price!r} {raw_qty!r}")
            if horizon is not None and (price < horizon if is_bid else price > horizon):
                continue  # beyond what is known: storing it would make the book look deeper
            if qty:
                if price not in book:
                    insort(prices, price)
                book[price] = qty
            elif price in book:  # removing a level we do not have is normal
                del book[price]
                del prices[bisect_left(prices, price)]

    def trim(self, keep: int) -> None:
        extra = len(self.prices) - keep
        if extra > 0:
            prices = self.prices
            gone = prices[:extra] if self.is_bid else prices[keep:]
            if self.is_bid:
                del prices[:extra]
                self.horizon = prices[0]
            else:
                del prices[keep:]
                self.horizon = prices[-1]
            for price in gone:
                del self.qty[price]

    def best(self) -> Optional[Decimal]:
        prices = self.prices
        if not prices:
            return None
        return prices[-1] if self.is_bid else prices[0]

    def top(self, n: Optional[int]) -> Levels:
        prices = self.prices
        if n is None:
            n = len(prices)
        picked = prices[: -n - 1 : -1] if self.is_bid else prices[:n]
        qty = self.qty
        return tuple([Level(p, qty[p]) for p in picked])


def _levels(raw: Any) -> list[tuple[Decimal, Decimal]]:
    """``[["price", "qty"], ...]`` → exact pairs; anything else raises ``ValueError``."""
    out = []
    for price, qty in raw:
        p, q = Decimal(price), Decimal(qty)
        if not (p.is_finite() and q.is_finite()) or q < 0:
            raise ValueError(f"bad level {price!r} {qty!r}")
        out.append((p, q))
    return out


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
            bids = _levels(result.get("bids", reply.raw.get("bids")))
            asks = _levels(result.get("asks", reply.raw.get("asks")))
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


class _Feed:
    """One acknowledged depth subscription of some books, and the thread that updates them."""

    def __init__(self, manager: OrderBookManager, books: list[LocalOrderBook]) -> None:
        self._manager = manager
        self._books = {b.symbol: b for b in books}
        self._posts: deque[Callable[[], None]] = deque()
        self._handle: Optional[StreamHandle[Any]] = None
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def start(self, handle: StreamHandle[Any]) -> None:
        self._handle = handle
        for book in self._books.values():
            book._feed = self
        self._thread = threading.Thread(
            target=self._run, name=f"binance-usdm-ws-books-{next(_numbers)}", daemon=True
        )
        self._thread.start()

    def post(self, work: Callable[[], None]) -> None:
        """Run ``work`` in the feed's thread, in order with the stream's items."""
        handle = self._handle
        if handle is not None:
            self._posts.append(work)
            handle._push(_WAKE)

    def _run(self) -> None:
        handle = self._handle
        assert handle is not None
        books = self._books
        posts = self._posts
        while True:
            item = handle.get_raw(timeout=1.0)
            if item is None or item is _WAKE:  # work posted by the scheduler (snapshots)
                while posts:
                    work = posts.popleft()
                    try:
                        work()
                    except Exception:  # pragma: no cover - a bug must not stop the books
                        logger.exception("order books: posted work failed")
                if item is None and not handle.subscribed:
                    return
                continue
            if type(item) is dict:
                book = books.get(item.get("s"))  # type: ignore[arg-type]
                if book is None or item.get("e") != "depthUpdate":
                    continue
                if not all(type(item.get(k)) is int for k in ("U", "u", "pu")):
                    book._resync("invalid", "a depth event without integer U, u and pu")
                    continue
                try:
                    book._on_event(item)
                except Exception as exc:  # pragma: no cover - a bug must not stop the books
                    logger.exception("order book %s: event failed", book.symbol)
                    book._resync("invalid", f"unexpected error: {exc!r}")
            elif isinstance(item, StreamGap):
                for book in list(books.values()):
                    book._on_gap(item)

    def remove(self, book: LocalOrderBook) -> None:
        with self._lock:
            gone = self._books.pop(book.symbol, None) is not None
            last = gone and not self._books
        if last:
            self.close()

    def close(self) -> None:
        handle, thread = self._handle, self._thread
        if handle is not None:
            handle.unsubscribe()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self._posts.clear()
        for book in list(self._books.values()):
            book._closed_state()


_numbers = itertools.count(1)


class SnapshotScheduler:
    """Every ``depth`` snapshot of a client's books: one queue, one weight budget.

    Resyncs go before first syncs (FIFO within each). Requests are sent concurrently (up to 8
    in flight) as long as the snapshots' own weight over the last window stays within
    ``weight_share`` of the ``REQUEST_WEIGHT`` limit, and the window's whole count (the user's
    calls included, from the latest reply) stays below 90 % of it. The limit and the window
    come from the replies' ``rateLimits``; until the first reply, one request at a time. A
    failed request (disconnected, timed out, 429) is retried after a backoff — never fatal.

    Attributes:
        weight_share: Fraction of the ``REQUEST_WEIGHT`` limit the snapshots may use (0.5).
        limit: The ``REQUEST_WEIGHT`` limit learned from ``rateLimits`` (None before).
        window: Its window in seconds (60 for Binance's per-minute limit).
        sent: Snapshot requests sent.
        rate_limited: 429/418 answers received (the budget should make this stay 0).
    """

    def __init__(self, api: WebsocketApi, weight_share: float = 0.5) -> None:
        self._api = api
        self.weight_share = weight_share
        self.limit: Optional[int] = None
        self.window = 60.0
        self.sent = 0
        self.rate_limited = 0
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[int, int, LocalOrderBook]] = []
        self._seq = itertools.count()
        self._log: deque[tuple[float, int]] = deque()  # (sent at, weight) of recent snapshots
        self._count = 0  # the window's whole count, from the latest reply
        self._count_at = 0.0
        self._in_flight = 0
        self._pause_until = 0.0
        self._backoff = 0.5
        self._stop = False
        self._thread: Optional[threading.Thread] = None

    def request(self, book: LocalOrderBook, resync: bool) -> None:
        """Queue a snapshot of ``book`` (once: a queued book is not queued again)."""
        with self._cond:
            if book._queued or self._stop:
                return
            book._queued = True
            heapq.heappush(self._heap, (0 if resync else 1, next(self._seq), book))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="binance-usdm-ws-book-snapshots", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    @property
    def queued(self) -> int:
        """Books waiting for a snapshot request to be sent."""
        return len(self._heap)

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._heap.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _wait_needed(self, weight: int, now: float) -> float:
        """Seconds to wait before a request of ``weight`` fits (0: now). Lock held."""
        if now < self._pause_until:
            return self._pause_until - now
        if self._in_flight >= _MAX_IN_FLIGHT:
            return 1.0  # woken by a reply
        if self.limit is None:
            return 0.0 if self._in_flight == 0 else 1.0  # learn the limit from one reply first
        span = self.window + min(1.0, self.window * 0.1)  # sliding, with a margin for latency
        log = self._log
        while log and log[0][0] <= now - span:
            log.popleft()
        budget = int(self.limit * self.weight_share)
        used = sum(w for _, w in log)
        if used + weight > max(budget, weight):
            return log[0][0] + span - now if log else 1.0
        if now - self._count_at < self.window:
            since = sum(w for t, w in log if t >= self._count_at)
            if self._count + since + weight > self.limit * _CEILING:
                return self._count_at + self.window - now  # that window has ended by then
        return 0.0

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stop:
                        return
                    if self._heap:
                        book = self._heap[0][2]
                        now = time.monotonic()
                        wait = self._wait_needed(DEPTH_WEIGHT[book.limit], now)
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
                _, _, book = heapq.heappop(self._heap)
                book._queued = False
                if book._reason in ("closed", "refused") or book._synced:
                    continue
                weight = DEPTH_WEIGHT[book.limit]
                self._log.append((time.monotonic(), weight))
                self._in_flight += 1
                self.sent += 1
            generation = book._generation
            try:
                future = (
                    self._api.market_data_api.order_book()
                    .symbol(book.symbol)
                    .limit(book.limit)
                    .execute_async()
                )
            except BinanceWsError as exc:
                future = Future()
                future.set_exception(exc)
            future.add_done_callback(functools.partial(self._done, book, generation))

    def _done(self, book: LocalOrderBook, generation: int, future: Future[Response[Any]]) -> None:
        error = future.exception()
        definite = error is not None and _definite(error)
        with self._cond:
            self._in_flight -= 1
            if error is None:
                self._learn(future.result().raw.get("rateLimits"))
                self._backoff = 0.5
            elif not definite:  # a refusal of one book is no reason to slow the others
                if isinstance(error, RateLimited):
                    self.rate_limited += 1
                retry = getattr(error, "retry_after", None)
                delay = retry if isinstance(retry, (int, float)) and retry > 0 else self._backoff
                self._pause_until = time.monotonic() + delay * (0.75 + random.random() / 2)
                self._backoff = min(self._backoff * 2, 30.0)
            self._cond.notify_all()
        feed = book._feed
        if error is None:
            if feed is not None:
                reply = future.result()
                feed.post(lambda: book._on_snapshot(generation, reply))
        elif definite:
            assert isinstance(error, ServerError)
            book._report(error)
            if feed is not None:
                feed.post(lambda: book._refuse(generation, error))
        else:
            logger.warning("depth snapshot of %s failed: %s", book.symbol, error)
            book._report(error)
            if feed is not None:
                feed.post(lambda: self._retry(book, generation))

    def _retry(self, book: LocalOrderBook, generation: int) -> None:
        if generation == book._generation and not book._synced and book._refusal is None:
            if book._reason == "closed":
                return
            self.request(book, resync=True)

    def _learn(self, limits: Any) -> None:
        for entry in limits if isinstance(limits, list) else ():
            if isinstance(entry, dict) and entry.get("rateLimitType") == "REQUEST_WEIGHT":
                limit, count = entry.get("limit"), entry.get("count")
                unit = _SECONDS.get(str(entry.get("interval")))
                num = entry.get("intervalNum")
                if isinstance(limit, int) and limit > 0:
                    self.limit = limit
                if unit is not None and isinstance(num, int) and num > 0:
                    self.window = unit * num
                if isinstance(count, int):
                    self._count, self._count_at = count, time.monotonic()
                return


class LocalOrderBooks(Mapping[str, LocalOrderBook]):
    """The books of one ``client.local_order_books([...])`` call, by symbol (upper case).

    One acknowledged subscription on shared ``/public`` sockets, one thread that updates them,
    and the client's one snapshot scheduler. ``synced_count`` and :meth:`wait_synced` show the
    progress; :meth:`close` ends them all.
    """

    def __init__(self, books: list[LocalOrderBook], feed: _Feed) -> None:
        self._books = {b.symbol: b for b in books}
        self._feed = feed

    def __getitem__(self, symbol: str) -> LocalOrderBook:
        return self._books[symbol.upper()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._books)

    def __len__(self) -> int:
        return len(self._books)

    @property
    def synced_count(self) -> int:
        """How many of the books are synced now."""
        return sum(1 for b in self._books.values() if b.synced)

    def wait_synced(self, timeout: Optional[float] = None) -> LocalOrderBooks:
        """Block until every book is synced; returns self.

        Raises:
            BookRefused: the exchange refused a book (e.g. -1121 for an unknown symbol): at
                once, whatever the others do (they go on syncing; read them by symbol).
            BookNotSynced: a book was not synced in time (its ``symbol``; the message says how
                many were).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        books = list(self._books.values())
        while True:
            for book in books:
                refusal = book._refusal
                if refusal is not None:
                    raise BookRefused(
                        book.symbol,
                        refusal.error,
                        f"the {book.symbol} order book (one of {len(self)}) was refused: "
                        f"status {refusal.status}, code {refusal.code}: {refusal.msg}",
                    ) from refusal.error
            waiting = next((book for book in books if not book.synced), None)
            if waiting is None:
                return self
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                # In slices: a refusal of another book is noticed within 0.1 s.
                waiting.wait_synced(0.1 if remaining is None else min(remaining, 0.1))
            except BookRefused:
                continue
            except BookNotSynced as exc:
                late = deadline is not None and time.monotonic() >= deadline
                if exc.reason == "closed" or late:
                    raise BookNotSynced(
                        waiting.symbol,
                        exc.reason,
                        f"{self.synced_count} of {len(self)} order books synced within "
                        f"{timeout} s; {waiting.symbol} is not ({exc.reason})",
                    ) from None

    def close(self) -> None:
        """Close every book and unsubscribe. Idempotent."""
        self._feed.close()

    def __enter__(self) -> LocalOrderBooks:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<LocalOrderBooks {self.synced_count}/{len(self)} synced>"


class OrderBookManager:
    """A client's local order books: their feeds and the one snapshot scheduler."""

    def __init__(self, streams: WebsocketStreams, api: WebsocketApi) -> None:
        self._streams = streams
        self._api = api
        self.scheduler = SnapshotScheduler(api)
        self._feeds: list[_Feed] = []
        self._lock = threading.Lock()
        self._closed = False

    def open(
        self,
        symbols: Iterable[str],
        limit: int = 1000,
        levels: Optional[int] = None,
        update_speed: Union[DepthUpdateSpeed, str] = DepthUpdateSpeed.UPDATE_SPEED_100ms,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> LocalOrderBooks:
        """Subscribe the depth streams of ``symbols`` (acknowledged), then sync each book."""
        if isinstance(symbols, str):
            raise InvalidRequest("symbols: expected a list of symbols, got a str", param="symbols")
        if isinstance(limit, bool) or int(limit) not in DEPTH_WEIGHT:
            raise InvalidRequest(
                f"limit: {limit!r} is not one of {sorted(DEPTH_WEIGHT)}", param="limit"
            )
        limit = int(limit)
        keep = limit if levels is None else levels
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise InvalidRequest(f"levels: expected a positive int, got {levels!r}", param="levels")
        names: dict[str, str] = {}
        for symbol in symbols:
            builder = PublicApi().diff_book_depth_streams().symbol(symbol)
            names[str(symbol).upper()] = builder.update_speed(update_speed).stream_name()
        if not names:
            raise InvalidRequest("symbols: at least one symbol is needed", param="symbols")
        if self._closed:
            raise InvalidRequest("the client is closed")
        if not self._api.connected:
            self._api.connect()
        queue = self._streams._config.queue_size
        books = [LocalOrderBook(self, s, limit, keep, queue) for s in names]
        feed = _Feed(self, books)
        handle = self._streams.subscribe_names(list(names.values()), None, timeout)  # acked
        feed.start(handle)
        with self._lock:
            self._feeds.append(feed)
        for book in books:  # only now: the stream is live before any snapshot is asked for
            self.scheduler.request(book, resync=False)
        return LocalOrderBooks(books, feed)

    def close(self) -> None:
        """Close every book, feed and the scheduler. Idempotent."""
        self._closed = True
        self.scheduler.close()
        with self._lock:
            feeds, self._feeds = self._feeds, []
        for feed in feeds:
            feed.close()
