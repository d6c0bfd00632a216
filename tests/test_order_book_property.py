"""The local order book's sync algorithm against a simple reference book, over random streams.

Hypothesis makes a true market (a book and its diff events, with non-contiguous update ids as
on USDⓈ-M futures) and a delivery of it with every fault a depth stream has: events before the
snapshot, duplicates and replays, missing events (gaps), crossed and locked books, snapshots
cut at their ``limit``, trimming to ``levels``, snapshot replies that arrive after a resync was
asked for. The book is driven through the path its feed thread uses (``_on_event``,
``_on_snapshot``, ``_on_gap``; the scheduler's requests are recorded), and after every step:

* it agrees with a reference book kept by the written rules (a dict per side, a horizon);
* while synced, each side is exactly the best levels of the true book at the book's update id
  (never a level the book cannot know, never a wrong quantity).

The socket path (subscription, ``depth`` over the WS API) is covered by ``test_order_book.py``.
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import Future
from decimal import Decimal
from typing import Any, Optional

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from binance_usdm_ws import (
    BadRequest,
    BookNotSynced,
    BookRefused,
    BookResync,
    ConnectionClosed,
    RateLimited,
    StreamGap,
)
from binance_usdm_ws.websocket_streams.order_book._book import LocalOrderBook
from binance_usdm_ws.websocket_streams.order_book._scheduler import DEPTH_WEIGHT, SnapshotScheduler

SYMBOL = "BTCUSDT"
MID = 1000


class _Scheduler:
    """Records each snapshot request with the book's generation when it was asked for."""

    def __init__(self) -> None:
        self.requests: list[int] = []

    def request(self, book: Any, resync: bool) -> None:
        # A book that has resynced asks with the resyncs' priority, a first sync without.
        assert resync is (book.resyncs > 0)
        self.requests.append(book._generation)


class _Manager:
    def __init__(self) -> None:
        self.scheduler = _Scheduler()


# --------------------------------------------------------------------------- the truth


class Market:
    """The true book and every event that made it (what Binance's matching engine has)."""

    def __init__(self, bids: dict[int, int], asks: dict[int, int]) -> None:
        self.bids, self.asks = dict(bids), dict(asks)
        self.last = 100
        self.events: list[dict[str, Any]] = []
        self.history: dict[int, tuple[dict[int, int], dict[int, int]]] = {
            self.last: (dict(self.bids), dict(self.asks))
        }

    def change(self, bids: dict[int, int], asks: dict[int, int], skip: int, width: int) -> None:
        first = self.last + 1 + skip  # futures ids need not be contiguous
        event = {
            "e": "depthUpdate", "E": first, "T": first, "s": SYMBOL,
            "U": first, "u": first + width, "pu": self.last,
            "b": [[str(p), str(q)] for p, q in bids.items()],
            "a": [[str(p), str(q)] for p, q in asks.items()],
        }  # fmt: skip
        for side, levels in ((self.bids, bids), (self.asks, asks)):
            for price, qty in levels.items():
                if qty:
                    side[price] = qty
                else:
                    side.pop(price, None)
        self.last = event["u"]
        self.events.append(event)
        self.history[self.last] = (dict(self.bids), dict(self.asks))

    def snapshot(self, limit: int, lag: int = 0) -> dict[str, Any]:
        """The book as it was ``lag`` events ago (a snapshot that took a while to come)."""
        last = self.events[-1 - lag]["u"] if lag and len(self.events) > lag else self.last
        if lag and len(self.events) <= lag:
            last = min(self.history)
        book_bids, book_asks = self.history[last]
        bids = sorted(book_bids.items(), reverse=True)[:limit]
        asks = sorted(book_asks.items())[:limit]
        return {
            "result": {
                "lastUpdateId": last, "E": 1, "T": 1,
                "bids": [[str(p), str(q)] for p, q in bids],
                "asks": [[str(p), str(q)] for p, q in asks],
            }
        }  # fmt: skip


class Reply:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw


# ------------------------------------------------------------------ the reference book


class RefSide:
    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.levels: dict[Decimal, Decimal] = {}
        self.horizon: Optional[Decimal] = None

    def beyond(self, price: Decimal) -> bool:
        h = self.horizon
        return h is not None and (price < h if self.is_bid else price > h)

    def ordered(self) -> list[tuple[Decimal, Decimal]]:
        return sorted(self.levels.items(), reverse=self.is_bid)

    def load(self, levels: list[list[str]], cut: bool, keep: int) -> None:
        self.levels = {Decimal(p): Decimal(q) for p, q in levels if Decimal(q)}
        self.horizon = Decimal(levels[-1][0]) if cut and levels else None
        self.trim(keep)

    def update(self, levels: list[list[str]]) -> None:
        for p, q in levels:
            price, qty = Decimal(p), Decimal(q)
            if self.beyond(price):
                continue
            if qty:
                self.levels[price] = qty
            else:
                self.levels.pop(price, None)

    def trim(self, keep: int) -> None:
        ordered = self.ordered()
        if len(ordered) > keep:
            self.levels = dict(ordered[:keep])
            self.horizon = ordered[keep - 1][0]


class RefBook:
    """The written algorithm (docs/local_order_book.md), in the plainest form."""

    def __init__(self, limit: int, keep: int) -> None:
        self.limit, self.keep = limit, keep
        self.bids, self.asks = RefSide(True), RefSide(False)
        self.synced = False
        self.reason = "syncing"
        self.last = 0
        self.pending: list[dict[str, Any]] = []
        self.snap: Optional[dict[str, Any]] = None
        self.duplicates = 0
        self.generation = 0
        self.joining = False  # synced at a snapshot: the next event must join it
        self.resyncs = 0
        self.stale = 0

    def event(self, event: dict[str, Any]) -> None:
        if self.synced:
            self.cont(event)
            return
        self.pending.append(event)
        if self.snap is not None:
            self.join()

    def snapshot(self, generation: int, result: dict[str, Any]) -> None:
        if self.synced or generation != self.generation:
            return  # asked for before a resync: ignored
        self.snap = result
        self.join()

    def join(self) -> None:
        assert self.snap is not None
        last = self.snap["lastUpdateId"]
        while self.pending and self.pending[0]["u"] < last:  # older than the snapshot
            self.pending.pop(0)
        if not self.pending:  # nothing newer buffered: in sync at the snapshot
            self.load(joining=True)
            self.synced, self.reason = True, ""
            return
        first = self.pending[0]
        if not (first["U"] <= last <= first["u"] or first["pu"] == last):
            self.snap = None  # stale: another snapshot is asked for
            self.stale += 1
            return
        self.load(joining=False)
        events, self.pending = self.pending, []
        if self.apply(events[0], loading=True):
            for event in events[1:]:
                if not self.cont(event):
                    return

    def load(self, joining: bool) -> None:
        assert self.snap is not None
        snap, self.snap = self.snap, None
        self.joining = joining
        self.bids.load(snap["bids"], len(snap["bids"]) >= self.limit, self.keep)
        self.asks.load(snap["asks"], len(snap["asks"]) >= self.limit, self.keep)
        self.last = snap["lastUpdateId"]

    def cont(self, event: dict[str, Any]) -> bool:
        if event["u"] <= self.last:
            self.duplicates += 1
            return True
        joins = self.joining and event["U"] <= self.last
        if event["pu"] != self.last and not joins:
            self.resync("gap", keep=event)
            return False
        self.joining = False
        return self.apply(event)

    def apply(self, event: dict[str, Any], loading: bool = False) -> bool:
        self.bids.update(event["b"])
        self.asks.update(event["a"])
        self.bids.trim(self.keep)
        self.asks.trim(self.keep)
        self.last = event["u"]
        bid, ask = self.bids.ordered(), self.asks.ordered()
        if bid and ask and bid[0][0] >= ask[0][0]:
            self.resync("crossed")
            return False
        floor = min(self.keep, self.limit) // 2
        for side in (self.bids, self.asks):
            if side.horizon is not None and len(side.levels) < floor:
                self.resync("horizon")
                return False
        if loading:
            self.synced, self.reason = True, ""
        return True

    def resync(self, reason: str, keep: Optional[dict[str, Any]] = None) -> None:
        self.synced, self.reason = False, reason
        self.resyncs += 1
        self.generation += 1
        self.joining = False
        self.bids, self.asks = RefSide(True), RefSide(False)
        self.snap = None
        self.pending = [keep] if keep is not None else []


# ------------------------------------------------------------------------ the property

# Few prices per side: changes often hit a known level, a kept one or one beyond the horizon.
prices_below = st.integers(MID - 14, MID - 1)
prices_above = st.integers(MID + 1, MID + 14)
qty = st.integers(0, 5)

step = st.one_of(
    st.tuples(
        st.just("change"),
        st.dictionaries(prices_below, qty, max_size=4),
        st.dictionaries(prices_above, qty, max_size=4),
        st.integers(0, 3),  # ids skipped before U
        st.integers(0, 2),  # u - U
    ),
    st.tuples(st.just("deliver"), st.integers(1, 3)),  # the next n events of the stream
    st.tuples(st.just("duplicate"), st.integers(1, 4)),  # re-send an event n back
    st.tuples(st.just("lose"), st.just(1)),  # the next event never arrives
    st.tuples(st.just("cross"), st.booleans()),  # a locked (True) or crossed book, then fixed
    # the snapshots asked for, as the book is now or was up to 3 events ago (older than
    # events already buffered: they join it by their range or by pu, or it is stale)
    st.tuples(st.just("answer"), st.integers(0, 3)),
    st.tuples(st.just("reconnect"), st.just(0)),
)


def side_levels(levels: Any) -> list[tuple[Decimal, Decimal]]:
    return [(lv.price, lv.quantity) for lv in levels]


def check(book: LocalOrderBook, ref: RefBook, market: Market) -> None:
    assert book.synced is ref.synced
    if not ref.synced:
        try:
            book.bids()
        except BookNotSynced as exc:
            assert exc.reason == ref.reason
        else:
            raise AssertionError("an unsynced book answered a read")
        return
    view = book.snapshot()
    assert view.last_update_id == ref.last
    assert side_levels(view.bids) == ref.bids.ordered()
    assert side_levels(view.asks) == ref.asks.ordered()
    # Independent of the reference: each side is the best levels of the truth at that id.
    true_bids, true_asks = market.history[ref.last]
    truth_b = sorted(((Decimal(p), Decimal(q)) for p, q in true_bids.items()), reverse=True)
    truth_a = sorted((Decimal(p), Decimal(q)) for p, q in true_asks.items())
    assert side_levels(view.bids) == truth_b[: len(view.bids)]
    assert side_levels(view.asks) == truth_a[: len(view.asks)]
    assert len(view.bids) <= book.max_levels and len(view.asks) <= book.max_levels


@settings(max_examples=250, deadline=None)
# The snapshot's last event is lost, the next one is buffered when the snapshot comes (it
# took a while: one event old): that one joins it by ``pu == lastUpdateId`` alone.
@example(
    bids={MID - 1: 1}, asks={MID + 1: 1}, limit=5, keep=5,
    steps=[("change", {MID - 2: 1}, {}, 0, 0), ("lose", 1), ("change", {MID - 3: 1}, {}, 1, 0),
           ("deliver", 1), ("answer", 1)],
)  # fmt: skip
# A gap among the buffered events that join a snapshot: the resync keeps the event that
# showed it and drops the rest (they cannot apply to a book that is not there).
@example(
    bids={MID - 1: 1}, asks={MID + 1: 1}, limit=5, keep=5,
    steps=[("change", {MID - 2: 1}, {}, 0, 0), ("change", {MID - 3: 1}, {}, 0, 0),
           ("change", {MID - 4: 1}, {}, 0, 0), ("deliver", 1), ("lose", 1), ("deliver", 1),
           ("change", {MID - 5: 1}, {}, 0, 0), ("deliver", 1), ("answer", 3)],
)  # fmt: skip
# The event that joins a snapshot crosses the book: the resync drops the events after it
# (the next one, applied to the emptied book, would cross it again: a second resync).
@example(
    bids={MID - 1: 1}, asks={MID + 1: 1}, limit=5, keep=5,
    steps=[("change", {MID + 1: 1}, {}, 0, 0), ("change", {MID + 2: 1}, {MID + 1: 2}, 0, 0),
           ("deliver", 2), ("answer", 2)],
)  # fmt: skip
# Snapshots older than the buffered events (one event lost in between), twice: each is
# stale and another is asked for, with the first sync's priority; then one joins.
@example(
    bids={MID - 1: 1}, asks={MID + 1: 1}, limit=5, keep=5,
    steps=[("change", {MID - 2: 1}, {}, 0, 0), ("lose", 1), ("change", {MID - 3: 1}, {}, 0, 0),
           ("deliver", 1), ("answer", 2), ("answer", 2), ("change", {MID - 4: 1}, {}, 0, 0),
           ("deliver", 1), ("answer", 0)],
)  # fmt: skip
# The same after a resync: the stale snapshot's successor is asked for as a resync.
@example(
    bids={MID - 1: 1}, asks={MID + 1: 1}, limit=5, keep=5,
    steps=[("answer", 0), ("reconnect", 0), ("change", {MID - 2: 1}, {}, 0, 0), ("lose", 1),
           ("change", {MID - 3: 1}, {}, 0, 0), ("deliver", 1), ("answer", 2),
           ("change", {MID - 4: 1}, {}, 0, 0), ("deliver", 1), ("answer", 0)],
)  # fmt: skip
# The same with nothing buffered: in sync at the snapshot, the next event joins it by pu.
@example(
    bids={MID - 1: 1}, asks={MID + 1: 1}, limit=5, keep=5,
    steps=[("change", {MID - 2: 1}, {}, 0, 0), ("lose", 1), ("answer", 0),
           ("change", {MID - 3: 1}, {}, 1, 0), ("deliver", 1)],
)  # fmt: skip
# Trimmed to 2 levels, the best one goes: a level beyond the trim must stay unknown.
@example(
    bids={MID - 1: 1, MID - 2: 1, MID - 4: 1}, asks={MID + 1: 1, MID + 2: 1, MID + 4: 1},
    limit=20, keep=2,
    steps=[("answer", 0), ("change", {MID - 1: 0, MID - 5: 1}, {MID + 1: 0, MID + 5: 1}, 0, 0),
           ("deliver", 1)],
)  # fmt: skip
# A snapshot cut at its limit (5 of 6 levels): a change AT its last level is known and applies.
@example(
    bids={MID - i: 1 for i in range(1, 7)}, asks={MID + i: 1 for i in range(1, 7)},
    limit=5, keep=10,
    steps=[("answer", 0), ("change", {MID - 5: 4}, {MID + 5: 3}, 0, 0), ("deliver", 1)],
)  # fmt: skip
@given(
    bids=st.dictionaries(prices_below, st.integers(1, 5), min_size=1, max_size=12),
    asks=st.dictionaries(prices_above, st.integers(1, 5), min_size=1, max_size=12),
    limit=st.sampled_from([5, 10, 20]),
    keep=st.integers(2, 12),
    steps=st.lists(step, max_size=40),
)
def test_book_agrees_with_the_reference_over_random_streams(bids, asks, limit, keep, steps):
    market = Market(bids, asks)
    manager = _Manager()
    book = LocalOrderBook(manager, SYMBOL, limit, keep, 1000)  # type: ignore[arg-type]
    ref = RefBook(limit, keep)
    manager.scheduler.requests.append(book._generation)  # the first sync, asked on open
    sent = 0  # events of market.events delivered (or lost) so far
    for op, *args in steps:
        if op == "change":
            market.change(*args)
        elif op == "cross":
            best_ask = min(market.asks) if market.asks else MID + 1
            price = best_ask if args[0] else best_ask + 1
            market.change({price: 1}, {}, 0, 0)  # locked or crossed...
            market.change({price: 0}, {}, 0, 0)  # ...and undone by the next event
        elif op == "lose" and sent < len(market.events):
            sent += 1
        elif op == "deliver":
            for event in market.events[sent : sent + args[0]]:
                book._on_event(dict(event))
                ref.event(event)
                check(book, ref, market)
            sent = min(len(market.events), sent + args[0])
        elif op == "duplicate" and sent >= args[0]:
            event = market.events[sent - args[0]]
            book._on_event(dict(event))
            ref.event(event)
        elif op == "answer":
            asked, manager.scheduler.requests = manager.scheduler.requests, []
            for generation in asked:  # a reply asked for before a resync is ignored
                reply = market.snapshot(limit, args[0])
                book._on_snapshot(generation, Reply(reply))
                ref.snapshot(generation, reply["result"])
                check(book, ref, market)
        elif op == "reconnect":
            book._on_gap(StreamGap(reason="reconnect", start=0, end=0, detail="test"))
            ref.resync("reconnect")
            # The next event on the new subscription asks for a snapshot; events sent
            # meanwhile were lost with the old socket.
            sent = len(market.events)
        check(book, ref, market)
    assert book.duplicates == ref.duplicates and book.resyncs == ref.resyncs
    assert book.stale_snapshots == ref.stale


def test_old_snapshot_after_a_resync_is_ignored():
    """A reply asked for before a resync never loads: the stream it could join is gone."""
    market = Market({MID - 1: 1, MID - 2: 1}, {MID + 1: 1, MID + 2: 1})
    manager = _Manager()
    book = LocalOrderBook(manager, SYMBOL, 5, 5, 1000)  # type: ignore[arg-type]
    old = book._generation
    market.change({MID - 3: 2}, {}, 0, 0)
    book._on_event(dict(market.events[-1]))
    book._on_gap(StreamGap(reason="overflow", start=0, end=0, detail="test"))
    assert book._generation != old
    book._on_snapshot(old, Reply(market.snapshot(5)))
    market.change({MID - 4: 2}, {}, 0, 0)
    book._on_event(dict(market.events[-1]))
    assert not book.synced and book.snapshots == 0


def test_a_locked_book_resyncs_like_a_crossed_one():
    """best bid == best ask is as impossible as best bid > best ask: resync "crossed"."""
    for price in (MID + 1, MID + 2):  # locked, crossed
        market = Market({MID - 1: 1}, {MID + 1: 1, MID + 3: 1})
        manager = _Manager()
        book = LocalOrderBook(manager, SYMBOL, 5, 5, 1000)  # type: ignore[arg-type]
        assert book.get(timeout=0) is None  # record changes from now on
        book._on_snapshot(book._generation, Reply(market.snapshot(5)))
        market.change({MID - 2: 1}, {}, 0, 0)
        book._on_event(dict(market.events[-1]))
        assert book.synced
        market.change({price: 1}, {}, 0, 0)
        book._on_event(dict(market.events[-1]))
        assert not book.synced
        with pytest_raises_not_synced() as reason:
            book.best_bid()
        assert reason == ["crossed"] and book.resyncs == 1
        items = [book.get(timeout=5) for _ in range(3)]
        resync = items[-1]
        assert isinstance(resync, BookResync) and resync.reason == "crossed"
        assert (resync.expected, resync.got) == (None, None)  # those are for a gap only
        book.close()


class pytest_raises_not_synced:
    """``with pytest_raises_not_synced() as reason:`` — the read raises; its reason is kept."""

    def __enter__(self) -> list[str]:
        self.reason: list[str] = []
        return self.reason

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        assert isinstance(exc, BookNotSynced), f"expected BookNotSynced, got {exc!r}"
        self.reason.append(exc.reason)
        return True


def test_resync_items_name_the_reason():
    market = Market({MID - 1: 1}, {MID + 1: 1})
    manager = _Manager()
    book = LocalOrderBook(manager, SYMBOL, 5, 5, 1000)  # type: ignore[arg-type]
    assert book.get(timeout=0) is None  # record changes from now on
    book._on_snapshot(book._generation, Reply(market.snapshot(5)))
    market.change({MID - 2: 1}, {}, 0, 0)
    book._on_event(dict(market.events[-1]))
    market.change({MID - 3: 1}, {}, 0, 0)
    market.change({MID - 4: 1}, {}, 2, 0)
    book._on_event(dict(market.events[-1]))  # the one before it is missing
    changes = [book.get(timeout=5) for _ in range(3)]  # the snapshot, the event, the resync
    assert [type(c).__name__ for c in changes] == ["BookUpdate", "BookUpdate", "BookResync"]
    assert changes[0].snapshot and not changes[1].snapshot
    resync = changes[2]
    assert resync.symbol == SYMBOL and "is not the last applied u" in resync.detail
    assert (resync.reason, resync.expected, resync.got) == (
        "gap",
        market.events[0]["u"],
        market.events[1]["u"],
    )
    book.close()


# ------------------------------------------------------------------ the snapshot scheduler

WEIGHTS = st.sampled_from(sorted(set(DEPTH_WEIGHT.values())))


@settings(max_examples=400, deadline=None)
@given(
    limit=st.one_of(st.none(), st.integers(10, 3000)),  # None: no reply has taught it yet
    share=st.floats(0.05, 1.0),
    window=st.sampled_from([1.0, 2.0, 10.0, 60.0]),
    log=st.lists(st.tuples(st.floats(0.0, 80.0), WEIGHTS), max_size=30),
    count=st.integers(0, 3000),
    count_age=st.floats(0.0, 80.0),
    weight=WEIGHTS,
    in_flight=st.integers(0, 10),
    paused=st.one_of(st.just(0.0), st.floats(0.01, 30.0)),
)
# Exactly at the ceiling (80 + 10 = 90 % of 100): still within it.
@example(
    limit=100, share=1.0, window=2.0, log=[], count=80, count_age=0.5,
    weight=10, in_flight=0, paused=0.0,
)  # fmt: skip
# The user's calls took the window's count to 85 of 100: 10 more would pass the 90 % ceiling.
@example(
    limit=100, share=1.0, window=2.0, log=[], count=85, count_age=0.5,
    weight=10, in_flight=0, paused=0.0,
)  # fmt: skip
# The count of 75 was taken 0.5 s ago; a snapshot of 10 sent since is not in it: 10 more
# would pass the ceiling.
@example(
    limit=100, share=1.0, window=2.0, log=[(0.2, 10)], count=75, count_age=0.5,
    weight=10, in_flight=0, paused=0.0,
)  # fmt: skip
# The snapshots' own 20 of a 25 share: 10 more would pass it.
@example(
    limit=100, share=0.25, window=2.0, log=[(1.0, 20)], count=0, count_age=0.5,
    weight=10, in_flight=0, paused=0.0,
)  # fmt: skip
def test_scheduler_sends_only_within_its_share_and_below_the_ceiling(
    limit, share, window, log, count, count_age, weight, in_flight, paused
):
    """A snapshot goes out only if the snapshots' own weight over the (sliding) window stays
    within ``weight_share`` of the limit, and the window's whole count (the user's calls
    included) below 90 % of it; else the wait is until the oldest leaves / the window ends."""
    scheduler = SnapshotScheduler(None, weight_share=share)  # type: ignore[arg-type]
    scheduler.limit, scheduler.window = limit, window
    now = 10_000.0
    sent_at = sorted((now - age, w) for age, w in log)
    scheduler._log = deque(sent_at)
    scheduler._count, scheduler._count_at = count, now - count_age
    scheduler._in_flight = in_flight
    scheduler._pause_until = now + paused
    wait = scheduler._wait_needed(weight, now)
    if paused:
        assert wait == pytest.approx(paused)
        return
    if in_flight >= 8:
        assert wait > 0
        return
    if limit is None:  # one request at a time until a reply tells the limit
        assert (wait == 0) is (in_flight == 0)
        return
    span = window + min(1.0, window * 0.1)
    recent = [(t, w) for t, w in sent_at if t > now - span]
    over_share = sum(w for _, w in recent) + weight > max(int(limit * share), weight)
    since = sum(w for t, w in recent if t >= now - count_age)
    over_ceiling = count_age < window and count + since + weight > limit * 0.9
    if over_share:
        assert wait == pytest.approx(recent[0][0] + span - now if recent else 1.0)
    elif over_ceiling:
        assert wait == pytest.approx(window - count_age)
    else:
        assert wait == 0


def failed(scheduler: SnapshotScheduler, error: BaseException) -> float:
    """Hand a failed ``depth`` to the scheduler; return the pause it takes (seconds)."""
    book = LocalOrderBook(_Manager(), SYMBOL, 5, 5, 1000)  # type: ignore[arg-type]
    future: Future[Any] = Future()
    future.set_exception(error)
    scheduler._in_flight = 1
    before = time.monotonic()
    scheduler._done(book, book._generation, future)
    assert scheduler._in_flight == 0
    return scheduler._pause_until - before


def too_many(retry_in: Optional[float]) -> RateLimited:
    data = {} if retry_in is None else {"retryAfter": int((time.time() + retry_in) * 1000)}
    return RateLimited(status=429, code=-1003, msg="too many", data=data)


def test_scheduler_waits_for_retry_after():
    """A 429 with retryAfter pauses every snapshot until then — never before it (up to 25 %
    after); without it, the backoff (0.5 s, doubled by each failure) with jitter of ±25 %."""
    scheduler = SnapshotScheduler(None)  # type: ignore[arg-type]
    pause = failed(scheduler, too_many(8.0))
    assert 8.0 - 0.01 <= pause <= 8.0 * 1.25
    assert scheduler._wait_needed(2, scheduler._pause_until - pause) == pytest.approx(pause)
    assert scheduler._backoff == 1.0
    pause = failed(scheduler, too_many(None))  # no retryAfter: the backoff, 1.0 by now
    assert 0.75 - 0.01 <= pause <= 1.25
    assert scheduler.rate_limited == 2 and scheduler._backoff == 2.0
    # A retryAfter shorter than the backoff is still the server's word; one already passed
    # is not (the backoff then).
    assert failed(scheduler, too_many(0.4)) <= 0.5 and scheduler._backoff == 4.0
    assert 4.0 * 0.75 - 0.01 <= failed(scheduler, too_many(-5.0)) <= 4.0 * 1.25
    # Any other passing failure backs off the same way, up to 30 s.
    for _ in range(5):
        failed(scheduler, ConnectionClosed("gone"))
    assert scheduler._backoff == 30.0 and scheduler.rate_limited == 4
    # A definite refusal of one book is no reason to pause the others.
    scheduler._pause_until = 0.0
    assert failed(scheduler, BadRequest(status=400, code=-1121, msg="Invalid symbol.")) < 0
    assert scheduler._backoff == 30.0
    book = LocalOrderBook(_Manager(), SYMBOL, 5, 5, 1000)  # type: ignore[arg-type]
    # A reply teaches the limit, its window and the count, and ends the backoff.
    limits = [
        {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1, "count": 1},
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "SECOND", "intervalNum": 2,
         "limit": 60, "count": 7},
    ]  # fmt: skip
    done: Future[Any] = Future()
    done.set_result(Reply({"result": {}, "rateLimits": limits}))
    scheduler._in_flight = 1
    scheduler._done(book, book._generation, done)
    assert (scheduler.limit, scheduler.window, scheduler._count) == (60, 2.0, 7)
    assert scheduler._backoff == 0.5 and scheduler._in_flight == 0
    # Replies without rateLimits, or with a limit that is not a positive int, teach nothing.
    for raw in (
        {"result": {}},
        {"result": {}, "rateLimits": [dict(limits[1], limit=0, intervalNum=0, count="x")]},
    ):
        done = Future()
        done.set_result(Reply(raw))
        scheduler._in_flight = 1
        scheduler._done(book, book._generation, done)
        assert (scheduler.limit, scheduler.window, scheduler._count) == (60, 2.0, 7)
    # A limit without its interval: the window stays Binance's minute.
    fresh = SnapshotScheduler(None)  # type: ignore[arg-type]
    fresh._learn([{"rateLimitType": "REQUEST_WEIGHT", "limit": 50, "count": 3}])
    assert (fresh.limit, fresh.window, fresh._count) == (50, 60.0, 3)
    # The smallest that are: a limit of 1 over 1 minute.
    done = Future()
    done.set_result(Reply({"rateLimits": [dict(limits[1], interval="MINUTE", intervalNum=1,
                                               limit=1, count=0)]}))  # fmt: skip
    scheduler._in_flight = 1
    scheduler._done(book, book._generation, done)
    assert (scheduler.limit, scheduler.window, scheduler._count) == (1, 60.0, 0)


def test_scheduler_jitter_spreads_evenly_over_its_range():
    """Backoff pauses spread over 75 %..125 % of the backoff, retryAfter pauses over
    100 %..125 % of it: the whole range, not a narrower or shifted one."""
    backoff, retry = [], []
    for _ in range(500):
        scheduler = SnapshotScheduler(None)  # type: ignore[arg-type]
        scheduler._backoff = 1000.0
        backoff.append(failed(scheduler, ConnectionClosed("gone")) / 1000.0)
        retry.append(failed(scheduler, too_many(1000.0)) / 1000.0)
    for ratios, low, high in ((backoff, 0.75, 1.25), (retry, 1.0, 1.25)):
        assert low - 0.01 <= min(ratios) < low + 0.04 and high - 0.04 < max(ratios) <= high
        middle = (low + high) / 2
        assert 150 < sum(1 for r in ratios if r < middle) < 350  # as many early as late


def test_scheduler_queues_a_book_once():
    """A book waiting for its snapshot request is not queued again (one request, not two);
    once sent, it may be queued anew; a closed scheduler queues nothing."""
    scheduler = SnapshotScheduler(None)  # type: ignore[arg-type]
    scheduler._pause_until = time.monotonic() + 1000  # nothing is sent meanwhile
    book = LocalOrderBook(_Manager(), SYMBOL, 5, 5, 1000)  # type: ignore[arg-type]
    other = LocalOrderBook(_Manager(), "ETHUSDT", 5, 5, 1000)  # type: ignore[arg-type]
    scheduler.request(book, resync=False)
    scheduler.request(book, resync=True)
    assert scheduler.queued == 1
    scheduler.request(other, resync=False)
    assert scheduler.queued == 2
    scheduler.close()
    assert scheduler.queued == 0
    book._queued = False
    scheduler.request(book, resync=True)
    assert scheduler.queued == 0


def test_a_refusal_counts_only_for_the_current_unsynced_book():
    """A ``depth`` refused for good fails the book — unless it was asked for before a resync
    (that book is gone), or the book is synced or closed meanwhile."""
    refused = BadRequest(status=400, code=-1121, msg="Invalid symbol.")
    market = Market({MID - 1: 1}, {MID + 1: 1})
    # Asked for before a resync: ignored; the current generation's refusal counts.
    book = LocalOrderBook(_Manager(), SYMBOL, 5, 5, 1000)  # type: ignore[arg-type]
    old = book._generation
    book._on_gap(StreamGap(reason="reconnect", start=0, end=0, detail="test"))
    book._refuse(old, refused)
    with pytest_raises_not_synced() as reason:
        book.bids()
    assert reason == ["reconnect"]
    book._refuse(book._generation, refused)
    with pytest.raises(BookRefused) as info:
        book.bids()
    assert info.value.symbol == SYMBOL and info.value.error is refused
    # A synced book stays synced.
    book = LocalOrderBook(_Manager(), SYMBOL, 5, 5, 1000)  # type: ignore[arg-type]
    book._on_snapshot(book._generation, Reply(market.snapshot(5)))
    book._refuse(book._generation, refused)
    assert book.synced and book.best_bid() is not None
    # A closed book stays closed (a snapshot that comes after does not load either).
    book = LocalOrderBook(_Manager(), SYMBOL, 5, 5, 1000)  # type: ignore[arg-type]
    book.close()
    book._refuse(book._generation, refused)
    book._on_snapshot(book._generation, Reply(market.snapshot(5)))
    with pytest_raises_not_synced() as reason:
        book.bids()
    assert reason == ["closed"]


def test_a_failed_request_is_retried_for_the_current_unsynced_book_only():
    """A passing failure retries the book's snapshot — first, like a resync — unless the book
    resynced meanwhile (a newer request stands), synced, was refused or closed."""
    scheduler = SnapshotScheduler(None)  # type: ignore[arg-type]
    scheduler._pause_until = time.monotonic() + 1000  # nothing is sent meanwhile
    waiting = LocalOrderBook(_Manager(), "ETHUSDT", 5, 5, 1000)  # type: ignore[arg-type]
    scheduler.request(waiting, resync=False)  # a first sync, queued before the retry
    book = LocalOrderBook(_Manager(), SYMBOL, 5, 5, 1000)  # type: ignore[arg-type]
    old = book._generation
    book._on_gap(StreamGap(reason="reconnect", start=0, end=0, detail="test"))
    scheduler._retry(book, old)
    assert scheduler.queued == 1
    scheduler._retry(book, book._generation)
    assert scheduler.queued == 2 and scheduler._heap[0][2] is book  # before the first sync
    refused = LocalOrderBook(_Manager(), "R", 5, 5, 1000)  # type: ignore[arg-type]
    refused._refuse(refused._generation, BadRequest(status=400, code=-1121, msg="Invalid."))
    closed = LocalOrderBook(_Manager(), "C", 5, 5, 1000)  # type: ignore[arg-type]
    closed.close()
    synced = LocalOrderBook(_Manager(), "S", 5, 5, 1000)  # type: ignore[arg-type]
    synced._on_snapshot(synced._generation, Reply(Market({MID - 1: 1}, {MID + 1: 1}).snapshot(5)))
    assert synced.synced
    for other in (refused, closed, synced):
        scheduler._retry(other, other._generation)
    assert scheduler.queued == 2
    scheduler.close()
