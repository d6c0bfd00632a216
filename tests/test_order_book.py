"""Local order books over real sockets: the local exchange's depth stream and ``depth`` method.

Every check compares the local book with the exchange's own book as published with the same
update id, level for level; each fault of the depth stream must lead to a resync and then to a
correct book again.
"""

from __future__ import annotations

import logging
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from binance_usdm_ws import (
    BadRequest,
    BinanceDerivativesTradingUsdsFuturesClient,
    BinanceWsError,
    BookNotSynced,
    BookRefused,
    BookResync,
    BookUpdate,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
    InvalidRequest,
    Level,
    LocalOrderBook,
    OrderType,
    RateLimited,
    ServerSideError,
    Side,
    StreamGap,
    SubscriptionRejected,
    TimeInForce,
)
from binance_usdm_ws.testing import LocalExchange

from .conftest import wait_until

TICK = Decimal("0.10")


def make(
    exchange: LocalExchange, timeout: float = 5.0, **streams: Any
) -> BinanceDerivativesTradingUsdsFuturesClient:
    api = ConfigurationWebsocketApi(
        base_path=exchange.ws_api_url,
        api_key=exchange.api_key,
        api_secret=exchange.api_secret,
        timeout=timeout,
        reconnect_delay=0.05,
    )
    options: dict[str, Any] = dict(base_path=exchange.streams_url, reconnect_delay=0.05)
    options.update(streams)
    return BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=api, websocket_streams=ConfigurationWebsocketStreams(**options)
    )


@pytest.fixture
def client(exchange: LocalExchange) -> Iterator[BinanceDerivativesTradingUsdsFuturesClient]:
    with make(exchange) as c:
        yield c


def published(exchange: LocalExchange, symbol: str, update_id: int) -> tuple[Any, Any]:
    entry = exchange.depth.book_at(symbol, update_id)
    assert entry is not None, f"the exchange published no {symbol} book with u={update_id}"
    _, bids, asks = entry
    return tuple(Level(p, q) for p, q in bids), tuple(Level(p, q) for p, q in asks)


def assert_equal_to_exchange(exchange: LocalExchange, book: LocalOrderBook) -> int:
    """The book equals the exchange's book published with the same update id; returns it."""
    view = book.snapshot()
    assert view is not None
    bids, asks = published(exchange, book.symbol, view.last_update_id)
    assert (view.bids, view.asks) == (bids, asks)
    return view.last_update_id


def settle(exchange: LocalExchange, book: LocalOrderBook) -> None:
    """Publish every pending change and wait until the book has the latest update id."""
    exchange.depth.publish_changes()
    latest = exchange.depth.book(book.symbol)
    assert latest is not None
    wait_until(lambda: book.synced and book.last_update_id == latest[0], timeout=10)


def delivered(book: LocalOrderBook, changes: list[Any]) -> None:
    """Wait until the handler has been given every change up to the book's update id: the
    handlers run in the book's delivery thread, which may be behind the book itself."""
    wait_until(
        lambda: (
            changes
            and isinstance(changes[-1], BookUpdate)
            and changes[-1].last_update_id == book.last_update_id
        ),
        timeout=10,
    )


def touch(exchange: LocalExchange, symbol: str, rng: random.Random, mid: Decimal) -> None:
    """Replace the maker levels of ``symbol`` with a random book around ``mid``."""
    bids = [(mid - TICK * rng.randint(1, 40), Decimal(rng.randint(1, 9))) for _ in range(8)]
    asks = [(mid + TICK * rng.randint(1, 40), Decimal(rng.randint(1, 9))) for _ in range(8)]
    exchange.set_book(symbol, bids, asks)


def order_flow(client: BinanceDerivativesTradingUsdsFuturesClient, symbol: str, rng: random.Random,
               n: int, mid: Decimal, check: Callable[[], None] = lambda: None) -> None:  # fmt: skip
    """``n`` random orders: resting, crossing (fills), cancels and market orders."""
    trade = client.websocket_api.trade_api
    resting: list[int] = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.15 and resting:
            oid = resting.pop(rng.randrange(len(resting)))
            try:
                trade.cancel_order().symbol(symbol).order_id(oid).execute()
            except Exception:
                pass  # already filled
        elif roll < 0.25:
            side = rng.choice([Side.BUY, Side.SELL])
            trade.new_order().symbol(symbol).side(side).type(OrderType.MARKET).quantity(
                "0.001"
            ).execute()
        else:
            side = rng.choice([Side.BUY, Side.SELL])
            offset = TICK * rng.randint(-5, 30)  # some cross the spread and fill
            price = mid - offset if side is Side.BUY else mid + offset
            qty = Decimal(rng.randint(1, 50)) / 1000
            order = (
                trade.new_order().symbol(symbol).side(side).type(OrderType.LIMIT)
                .time_in_force(TimeInForce.GTC).price(price).quantity(qty).execute()
            ).typed.result  # fmt: skip
            if order.order_id is not None:
                resting.append(order.order_id)
        if i % 25 == 24:
            check()


def test_random_order_flow_keeps_the_book_equal_to_the_exchange(exchange, client):
    books = client.local_order_books(["BTCUSDT", "ETHUSDT"])
    # Not synced_count == 0 here: a still book syncs at its snapshot, which may come before
    # this line on a loaded machine (the count is checked below: 2 once synced, 0 once closed).
    assert set(books) == {"BTCUSDT", "ETHUSDT"}
    btc, eth = books["BTCUSDT"], books["ETHUSDT"]
    rng = random.Random(11)
    touch(exchange, "ETHUSDT", rng, Decimal("3000"))
    order_flow(client, "BTCUSDT", rng, 5, Decimal("60000"))
    books.wait_synced(timeout=10)
    assert books.synced_count == 2
    compared: set[int] = set()

    def check() -> None:  # mid-flow: whatever update id the book is at, it is exact
        compared.add(assert_equal_to_exchange(exchange, btc))
        for n in (1, 3):  # a view of n levels is the exchange's best n, no more, no fewer
            view = btc.snapshot(n)
            bids, asks = published(exchange, "BTCUSDT", view.last_update_id)
            assert (view.bids, view.asks) == (bids[:n], asks[:n]) and len(bids) > n

    # Readers in other threads meanwhile: every copy is one whole, published book.
    stop = threading.Event()
    read_ids: list[set[int]] = [set(), set()]
    failures: list[BaseException] = []

    def reader(seen: set[int]) -> None:
        try:
            while not stop.is_set():
                seen.add(assert_equal_to_exchange(exchange, btc))
        except BaseException as exc:
            failures.append(exc)

    readers = [threading.Thread(target=reader, args=(seen,)) for seen in read_ids]
    for thread in readers:
        thread.start()
    try:
        order_flow(client, "BTCUSDT", rng, 300, Decimal("60000"), check)
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert failures == []
    assert all(len(seen) >= 2 for seen in read_ids)  # each reader saw the book move
    settle(exchange, btc)
    compared.add(assert_equal_to_exchange(exchange, btc))
    assert len(compared) >= 5  # compared at several different update ids
    settle(exchange, eth)
    assert_equal_to_exchange(exchange, eth)
    # Prices are exact Decimals, best first, in numeric order.
    bids, asks = btc.bids(), btc.asks()
    assert bids and asks
    assert [lv.price for lv in bids] == sorted((lv.price for lv in bids), reverse=True)
    assert [lv.price for lv in asks] == sorted(lv.price for lv in asks)
    assert all(type(lv.price) is Decimal and type(lv.quantity) is Decimal for lv in bids + asks)
    assert btc.best_bid() == bids[0] and btc.best_ask() == asks[0] and bids[0] < asks[0]
    assert btc.resyncs == 0 and btc.stale_snapshots == 0
    books.close()
    assert books.synced_count == 0
    with client.local_order_books(["ETHUSDT"]) as more:  # a context manager closes them
        book = more["ETHUSDT"].wait_synced(timeout=10)
    assert not book.synced and repr(more) == "<LocalOrderBooks 0/1 synced>"
    with client.local_order_book("ETHUSDT") as book:
        book.wait_synced(timeout=10)
    with pytest.raises(BookNotSynced, match="closed"):
        book.wait_synced()


def test_reads_before_sync_raise_or_return_none(exchange, client):
    exchange.faults.delay("depth", 1.0)  # the snapshot is on its way: not synced yet
    book = client.local_order_book("BTCUSDT", limit=100)
    wait_until(lambda: any(r.method == "depth" for r in exchange.requests))
    assert not book.synced and book.last_update_id is None
    for read in (book.best_bid, book.best_ask, book.bids, book.asks, book.snapshot):
        with pytest.raises(BookNotSynced) as info:
            read()
        assert info.value.symbol == "BTCUSDT" and info.value.reason == "syncing"
        assert read(strict=False) is None
    with pytest.raises(BookNotSynced) as info:
        book.wait_synced(timeout=0.05)
    assert (info.value.symbol, info.value.reason) == ("BTCUSDT", "syncing")
    assert str(info.value) == "the BTCUSDT order book was not synced within 0.05 s (syncing)"
    book.wait_synced(timeout=10)
    assert_equal_to_exchange(exchange, book)
    book.close()
    with pytest.raises(BookNotSynced) as info:
        book.best_bid()
    assert info.value.reason == "closed"


def test_a_quiet_book_is_synced_at_its_snapshot(exchange, client):
    """No diff comes on a still market: the book is in sync at the snapshot (the subscription
    was acknowledged before it was asked for), announced by a whole-book update."""
    book = client.local_order_book("BTCUSDT")
    changes: list[Any] = []
    book.on_any(changes.append)
    book.wait_synced(timeout=10)
    at = assert_equal_to_exchange(exchange, book)
    view = book.snapshot()  # as the snapshot left it (E and T of the depth reply)
    assert (book.snapshots, book.resyncs) == (1, 0) and view.event_time
    assert (book.symbol, book.limit, book.max_levels) == ("BTCUSDT", 1000, 1000)  # defaults
    touch(exchange, "BTCUSDT", random.Random(11), Decimal("60000"))
    settle(exchange, book)  # the next diff joins it
    assert book.last_update_id > at and book.resyncs == 0
    assert_equal_to_exchange(exchange, book)
    delivered(book, changes)
    first = changes[0]
    assert isinstance(first, BookUpdate) and first.snapshot
    assert first.first_update_id == first.last_update_id == at
    assert (first.symbol, first.event_time, first.transaction_time) == (
        "BTCUSDT",
        view.event_time,
        view.transaction_time,
    )


def test_a_diff_missed_after_a_quiet_snapshot_resyncs(exchange, client):
    """Synced at the snapshot with no diff: a diff lost before the next one cannot hide — the
    next diff does not join the snapshot, and the book resyncs to the exchange's book."""
    book = client.local_order_book("BTCUSDT")
    changes: list[Any] = []
    book.on_any(changes.append)
    at = book.wait_synced(timeout=10).last_update_id
    rng = random.Random(12)
    exchange.depth.skip_next("BTCUSDT")
    touch(exchange, "BTCUSDT", rng, Decimal("60000"))
    exchange.depth.publish_changes()
    assert exchange.depth.skipped["BTCUSDT"]
    touch(exchange, "BTCUSDT", rng, Decimal("60000"))
    exchange.depth.publish_changes()
    resync = wait_until(lambda: next((c for c in changes if isinstance(c, BookResync)), None))
    assert (resync.reason, resync.expected) == ("gap", at)
    settle(exchange, book)
    assert_equal_to_exchange(exchange, book)
    assert book.resyncs == 1


def test_bad_arguments_are_refused_before_anything_is_sent(exchange, client):
    for options, param in [
        ({"limit": 999}, "limit"),
        ({"limit": True}, "limit"),
        ({"levels": 0}, "levels"),
        ({"levels": True}, "levels"),
        ({"levels": "5"}, "levels"),
    ]:
        with pytest.raises(InvalidRequest) as info:
            client.local_order_book("BTCUSDT", **options)
        assert info.value.param == param and repr(options[param]) in str(info.value)
    with pytest.raises(InvalidRequest) as info:
        client.local_order_books([])
    assert info.value.param == "symbols" and "at least one" in str(info.value)
    with pytest.raises(InvalidRequest) as info:
        client.local_order_books("BTCUSDT")
    assert info.value.param == "symbols"
    with pytest.raises(InvalidRequest):
        client.local_order_book("BTC USDT")
    with pytest.raises(InvalidRequest):
        client.local_order_books(["BTCUSDT"], weight_share=2)
    assert exchange.market_subscriptions() == []
    streams_only = BinanceDerivativesTradingUsdsFuturesClient(
        websocket_streams=ConfigurationWebsocketStreams(base_path=exchange.streams_url)
    )
    with streams_only, pytest.raises(InvalidRequest):
        streams_only.local_order_book("BTCUSDT")  # the snapshot needs the WS API


def synced_book(exchange, client, symbol="BTCUSDT", **options):
    book = client.local_order_book(symbol, **options)
    changes: list[Any] = []
    book.on_any(changes.append)
    touch(exchange, symbol, random.Random(2), Decimal("60000"))
    book.wait_synced(timeout=10)
    # The book may be synced at its snapshot with older diffs still on the way: one more diff,
    # applied from the stream, means every earlier one has come (and counted as old).
    touch(exchange, symbol, random.Random(20), Decimal("60000"))
    settle(exchange, book)
    return book, changes


def test_a_missing_diff_is_a_gap_then_a_resync(exchange, client):
    book, changes = synced_book(exchange, client)
    rng = random.Random(3)
    before = book.last_update_id
    exchange.depth.skip_next("BTCUSDT")
    touch(exchange, "BTCUSDT", rng, Decimal("60000"))
    exchange.depth.publish_changes()
    skipped = exchange.depth.skipped["BTCUSDT"]
    touch(exchange, "BTCUSDT", rng, Decimal("60000"))
    exchange.depth.publish_changes()
    resync = wait_until(lambda: next((c for c in changes if isinstance(c, BookResync)), None))
    assert (resync.reason, resync.expected, resync.got) == ("gap", before, skipped[0])
    settle(exchange, book)
    assert_equal_to_exchange(exchange, book)
    assert book.resyncs == 1
    delivered(book, changes)
    # In order: updates, the resync, then a snapshot update before any further diff.
    kinds = [type(c).__name__ + ("*" if getattr(c, "snapshot", False) else "") for c in changes]
    at = kinds.index("BookResync")
    assert kinds[0] == "BookUpdate*" and kinds[at + 1] == "BookUpdate*"


def test_a_snapshot_older_than_the_stream_is_fetched_again(exchange, client):
    book, changes = synced_book(exchange, client)
    rng = random.Random(4)
    depth_requests = sum(1 for r in exchange.requests if r.method == "depth")
    stale_id = exchange.depth.stale_snapshot("BTCUSDT")  # the next depth answers this book
    touch(exchange, "BTCUSDT", rng, Decimal("60000"))
    exchange.depth.publish_changes()
    exchange.depth.skip_next("BTCUSDT")  # a gap makes the book ask for a snapshot
    for _ in range(2):
        touch(exchange, "BTCUSDT", rng, Decimal("60000"))
        exchange.depth.publish_changes()
    wait_until(lambda: book.stale_snapshots == 1, timeout=10)
    settle(exchange, book)
    assert_equal_to_exchange(exchange, book)
    assert book.last_update_id > stale_id
    assert sum(1 for r in exchange.requests if r.method == "depth") == depth_requests + 2
    delivered(book, changes)  # the handler runs in the delivery thread, maybe behind
    assert [c.reason for c in changes if isinstance(c, BookResync)] == ["gap"]


def test_a_snapshot_newer_than_the_stream_syncs_and_the_late_diffs_are_old(exchange, client):
    rng = random.Random(5)
    watcher = client.websocket_streams.subscribe(["btcusdt@depth"])  # the exchange publishes
    touch(exchange, "BTCUSDT", rng, Decimal("60000"))
    exchange.depth.publish_changes()
    exchange.depth.hold("BTCUSDT")
    for _ in range(3):
        touch(exchange, "BTCUSDT", rng, Decimal("60000"))
        exchange.depth.publish_changes()
    assert exchange.depth.held("BTCUSDT") == 3
    book = client.local_order_book("BTCUSDT")
    # Its lastUpdateId is ahead of every diff sent: in sync at the snapshot.
    book.wait_synced(timeout=10)
    at = assert_equal_to_exchange(exchange, book)
    assert exchange.depth.release("BTCUSDT") == 3
    wait_until(lambda: book.duplicates >= 3)  # every held diff is older than the book
    assert book.last_update_id == at
    touch(exchange, "BTCUSDT", rng, Decimal("60000"))
    settle(exchange, book)
    assert_equal_to_exchange(exchange, book)
    assert (book.snapshots, book.stale_snapshots, book.resyncs) == (1, 0, 0)  # never refetched
    assert sum(1 for r in exchange.requests if r.method == "depth") == 1
    watcher.unsubscribe()


def test_duplicate_diffs_are_ignored(exchange, client):
    book, changes = synced_book(exchange, client)
    rng = random.Random(6)
    # Diffs older than a book synced at its snapshot count too: count from here.
    base = book.duplicates
    exchange.depth.duplicate_next("BTCUSDT", copies=3)
    touch(exchange, "BTCUSDT", rng, Decimal("60000"))
    exchange.depth.publish_changes()
    wait_until(lambda: book.duplicates == base + 2)
    touch(exchange, "BTCUSDT", rng, Decimal("60000"))
    settle(exchange, book)
    assert_equal_to_exchange(exchange, book)
    assert book.resyncs == 0  # a copy of an applied diff is harmless: never a resync


def test_a_dropped_connection_resyncs_on_the_new_socket(exchange, client):
    book, changes = synced_book(exchange, client)
    rng = random.Random(7)
    exchange.faults.delay("depth", 1.0)  # the resync's snapshot takes a while: unsynced meanwhile
    exchange.faults.drop_connections("stream")
    wait_until(lambda: any(isinstance(c, BookResync) for c in changes), timeout=10)
    assert not book.synced
    with pytest.raises(BookNotSynced) as info:
        book.bids(5)
    assert info.value.reason == "reconnect"
    wait_until(lambda: client.websocket_streams.reconnects == 1, timeout=10)
    for _ in range(3):  # changes on the new subscription: the book syncs again
        touch(exchange, "BTCUSDT", rng, Decimal("60000"))
        exchange.depth.publish_changes()
    book.wait_synced(timeout=10)
    settle(exchange, book)
    assert_equal_to_exchange(exchange, book)
    gap_at = next(i for i, c in enumerate(changes) if isinstance(c, StreamGap))
    assert changes[gap_at].reason == "reconnect"
    assert isinstance(changes[gap_at + 1], BookResync)
    assert changes[gap_at + 1].reason == "reconnect"
    assert changes[gap_at + 1].detail == changes[gap_at].detail and changes[gap_at].detail


@pytest.mark.parametrize("above", [Decimal(0), TICK], ids=["locked", "crossed"])
def test_a_crossed_or_locked_book_resyncs(exchange, client, above):
    """best bid == best ask (locked) is as impossible as best bid > best ask (crossed)."""
    book, changes = synced_book(exchange, client)
    u = book.last_update_id
    ask = book.best_ask()
    assert u is not None and ask is not None
    crossing = {
        "e": "depthUpdate", "E": 1, "T": 1, "s": "BTCUSDT", "U": u + 1, "u": u + 1, "pu": u,
        "b": [[str(ask.price + above), "1.000"]], "a": [],
    }  # fmt: skip
    exchange.publish("btcusdt@depth@100ms", crossing)
    resync = wait_until(lambda: next((c for c in changes if isinstance(c, BookResync)), None))
    assert resync.reason == "crossed"
    touch(exchange, "BTCUSDT", random.Random(8), Decimal("60000"))
    settle(exchange, book)
    assert_equal_to_exchange(exchange, book)


def test_a_delivery_overflow_resyncs(exchange):
    with make(exchange, queue_size=5) as client:
        book, changes = synced_book(exchange, client)
        u = book.last_update_id
        assert u is not None
        old = {"e": "depthUpdate", "E": 1, "T": 1, "s": "BTCUSDT", "U": u, "u": u, "pu": u - 1,
               "b": [], "a": []}  # fmt: skip
        with book._lock:  # the book's thread waits for this lock: its queue fills up
            exchange.publish("btcusdt@depth@100ms", old)  # blocks the thread on its next apply
            exchange.publish("btcusdt@depth@100ms", dict(old, u=u + 1), copies=20)
            feed = book._feed
            assert feed is not None and feed._handle is not None
            wait_until(lambda: feed._handle.dropped > 0)  # type: ignore[union-attr]
        wait_until(
            lambda: any(isinstance(c, BookResync) and c.reason == "overflow" for c in changes)
        )
        at = next(i for i, c in enumerate(changes) if isinstance(c, StreamGap))
        assert changes[at].reason == "overflow" and changes[at].dropped > 0
        assert changes[at + 1].reason == "overflow"  # its BookResync right after
        touch(exchange, "BTCUSDT", random.Random(9), Decimal("60000"))
        settle(exchange, book)
        assert_equal_to_exchange(exchange, book)


def test_levels_are_kept_within_the_depth_by_numeric_order(exchange, client):
    ladder = [(Decimal("9999.9") - i, Decimal(1)) for i in range(12)]  # 9999.9 ... 9988.9
    asks = [(Decimal("10000.1") + i, Decimal(1)) for i in range(12)]
    exchange.set_book("BTCUSDT", ladder, asks)
    book = client.local_order_book("BTCUSDT", limit=5, levels=5)
    book.wait_synced(timeout=10)
    settle(exchange, book)
    view = book.snapshot()
    assert view is not None
    assert [lv.price for lv in view.bids] == [Decimal("9999.9") - i for i in range(5)]
    assert [lv.price for lv in view.asks] == [Decimal("10000.1") + i for i in range(5)]
    # The best bid goes: the four below it are still known; the sixth level (9994.9) is beyond
    # what the cut snapshot showed, unknown, and never shown.
    exchange.set_book("BTCUSDT", ladder[1:], asks)
    settle(exchange, book)
    assert [lv.price for lv in book.bids()] == [Decimal("9998.9") - i for i in range(4)]
    assert [lv.price for lv in book.asks()] == [Decimal("10000.1") + i for i in range(5)]


def test_a_snapshot_of_exactly_limit_levels_is_cut(exchange, client):
    """``limit`` levels back means there may be more: the last one is the horizon, and a
    change beyond it is not stored even when more levels are kept (``levels`` > ``limit``)."""
    ladder = [(Decimal("9999.9") - i, Decimal(1)) for i in range(12)]
    asks = [(Decimal("10000.1") + i, Decimal(1)) for i in range(12)]
    exchange.set_book("BTCUSDT", ladder, asks)
    book = client.local_order_book("BTCUSDT", limit=5, levels=20)
    book.wait_synced(timeout=10)
    settle(exchange, book)
    assert len(book.bids()) == 5 and len(book.asks()) == 5
    u = book.last_update_id
    assert u is not None
    event = {
        "e": "depthUpdate", "E": 1, "T": 1, "s": "BTCUSDT", "U": u + 1, "u": u + 1, "pu": u,
        # beyond the horizon (unknown: not stored), then at it (known: applied)
        "b": [["9990.0", "1"], ["9995.9", "7"]], "a": [["10010.0", "1"], ["10004.1", "8"]],
    }  # fmt: skip
    exchange.publish("btcusdt@depth@100ms", event)
    wait_until(lambda: book.last_update_id == u + 1)
    bids, asks_now = book.bids(), book.asks()
    assert [lv.price for lv in bids] == [Decimal("9999.9") - i for i in range(5)]
    assert bids[-1].quantity == 7 and asks_now[-1].quantity == 8
    assert [lv.price for lv in asks_now] == [Decimal("10000.1") + i for i in range(5)]


def assert_top_of_exchange(exchange: LocalExchange, book: LocalOrderBook) -> Any:
    """Each side of the book is the best levels of the exchange's book at its update id."""
    view = book.snapshot()
    bids, asks = published(exchange, book.symbol, view.last_update_id)
    assert (view.bids, view.asks) == (bids[: len(view.bids)], asks[: len(view.asks)])
    return view


BIDS = [Decimal("9999.9") - i for i in range(12)]  # best first
ASKS = [Decimal("10000.1") + i for i in range(12)]


def ladder(prices: list[Decimal], qty: dict[int, int]) -> list[tuple[Decimal, Decimal]]:
    """``(price, quantity)`` of the levels numbered in ``qty`` (index into ``prices``)."""
    return [(prices[i], Decimal(q)) for i, q in sorted(qty.items()) if q]


def test_a_trimmed_side_keeps_its_worst_level_as_the_horizon(exchange, client):
    """``levels`` below the snapshot's depth: each side keeps its best ``levels``; the worst
    kept is the horizon — a change at it applies, one beyond it is never stored, a new best
    level pushes the worst out and moves the horizon in."""
    book_of = dict.fromkeys(range(1, 12), 1)  # levels 1..11 of each ladder, quantity 1
    exchange.set_book("BTCUSDT", ladder(BIDS, book_of), ladder(ASKS, book_of))
    book = client.local_order_book("BTCUSDT", limit=20, levels=3)
    book.wait_synced(timeout=10)
    settle(exchange, book)

    def sides() -> tuple[list[Any], list[Any]]:
        view = assert_top_of_exchange(exchange, book)
        return [(lv.price, lv.quantity) for lv in view.bids], [
            (lv.price, lv.quantity) for lv in view.asks
        ]

    assert sides() == (ladder(BIDS, {1: 1, 2: 1, 3: 1}), ladder(ASKS, {1: 1, 2: 1, 3: 1}))
    # Views of fewer levels: the best ones (the book is still here).
    assert [lv.price for lv in book.bids(2)] == BIDS[1:3]
    assert [lv.price for lv in book.asks(2)] == ASKS[1:3]
    assert book.best_bid() == Level(BIDS[1], Decimal(1)) and book.best_ask() == (ASKS[1], 1)
    view = book.snapshot(1)
    assert (len(view.bids), len(view.asks)) == (1, 1) and book.bids(0) == book.asks(0) == ()
    # At the horizon (level 3): applied; beyond it (level 4): not stored.
    book_of.update({3: 5, 4: 6})
    exchange.set_book("BTCUSDT", ladder(BIDS, book_of), ladder(ASKS, book_of))
    settle(exchange, book)
    assert sides() == (ladder(BIDS, {1: 1, 2: 1, 3: 5}), ladder(ASKS, {1: 1, 2: 1, 3: 5}))
    # A new best level (0): level 3 goes, level 2 is the horizon now.
    book_of[0] = 2
    exchange.set_book("BTCUSDT", ladder(BIDS, book_of), ladder(ASKS, book_of))
    settle(exchange, book)
    assert sides() == (ladder(BIDS, {0: 2, 1: 1, 2: 1}), ladder(ASKS, {0: 2, 1: 1, 2: 1}))
    # The best goes again: two levels are known; level 3 (changed) is beyond the horizon.
    book_of.update({0: 0, 3: 9})
    exchange.set_book("BTCUSDT", ladder(BIDS, book_of), ladder(ASKS, book_of))
    settle(exchange, book)
    assert sides() == (ladder(BIDS, {1: 1, 2: 1}), ladder(ASKS, {1: 1, 2: 1}))
    assert book.resyncs == 0


@pytest.mark.parametrize(
    "limit, levels, count", [(20, 3, 3), (5, 5, 4)], ids=["exactly-levels", "below-limit"]
)
def test_a_whole_side_has_no_horizon(exchange, client, limit, levels, count):
    """A snapshot side of fewer than ``limit`` levels is the whole side (even with exactly
    ``levels`` of them): a new level past its worst one is known and kept."""
    book_of = dict.fromkeys(range(1, count + 1), 1)
    exchange.set_book("BTCUSDT", ladder(BIDS, book_of), ladder(ASKS, book_of))
    book = client.local_order_book("BTCUSDT", limit=limit, levels=levels)
    book.wait_synced(timeout=10)
    settle(exchange, book)
    # The best level goes, a new one comes past the worst: the side is still whole.
    book_of.update({1: 0, count + 1: 3})
    exchange.set_book("BTCUSDT", ladder(BIDS, book_of), ladder(ASKS, book_of))
    settle(exchange, book)
    assert_equal_to_exchange(exchange, book)
    assert len(book.bids()) == len(book.asks()) == count and book.resyncs == 0


def test_a_cut_side_left_with_too_few_known_levels_resyncs(exchange, client):
    """A side cut at its ``limit`` that loses levels: while half of ``min(levels, limit)``
    are known it stays synced (the unknown levels beyond are never shown); below that it
    resyncs (reason "horizon") and is whole again."""
    book_of = dict.fromkeys(range(12), 1)
    exchange.set_book("BTCUSDT", ladder(BIDS, book_of), ladder(ASKS, book_of))
    book = client.local_order_book("BTCUSDT", limit=5, levels=20)  # at least 2 known
    changes: list[Any] = []
    book.on_any(changes.append)
    book.wait_synced(timeout=10)
    settle(exchange, book)
    assert len(book.bids()) == 5
    book_of.update({0: 0, 1: 0, 2: 0})  # levels 3 and 4 are known, 5... are not
    exchange.set_book("BTCUSDT", ladder(BIDS, book_of), ladder(ASKS, dict.fromkeys(range(12), 1)))
    settle(exchange, book)
    view = assert_top_of_exchange(exchange, book)
    assert [lv.price for lv in view.bids] == BIDS[3:5] and len(view.asks) == 5
    assert book.resyncs == 0
    book_of[3] = 0  # one known level is left: too few
    exchange.set_book("BTCUSDT", ladder(BIDS, book_of), ladder(ASKS, dict.fromkeys(range(12), 1)))
    exchange.depth.publish_changes()
    resync = wait_until(lambda: next((c for c in changes if isinstance(c, BookResync)), None))
    assert resync.reason == "horizon"
    settle(exchange, book)
    view = assert_top_of_exchange(exchange, book)
    assert [lv.price for lv in view.bids] == BIDS[4:9]  # the resync's snapshot: 5 again
    assert book.resyncs == 1


@pytest.mark.parametrize(
    "first, previous, joins",
    [
        (3, 0, True),  # U > lastUpdateId (futures ids skip): pu == lastUpdateId alone joins it
        (0, -7, True),  # U == lastUpdateId <= u, pu elsewhere: joins by U <= lastUpdateId <= u
        (-1, -9, True),  # U < lastUpdateId < u
        (1, -1, False),  # neither: a diff was missed between the snapshot and this one
    ],
    ids=["pu", "U-at-last", "U-below-last", "gap"],
)
def test_a_quiet_snapshot_joins_the_next_diff_by_the_join_rule(
    exchange, client, first, previous, joins
):
    """Synced at its snapshot with nothing buffered, the first diff must join it: ``U <=
    lastUpdateId <= u``, or ``pu == lastUpdateId`` — else the book resyncs (reason "gap")."""
    touch(exchange, "BTCUSDT", random.Random(17), Decimal("60000"))
    exchange.depth.publish_changes()
    exchange.depth.hold("BTCUSDT")  # the exchange's own diffs stay back
    book = client.local_order_book("BTCUSDT")
    changes: list[Any] = []
    book.on_any(changes.append)
    book.wait_synced(timeout=10)  # in sync at its snapshot: nothing newer was buffered
    last = book.last_update_id
    assert last is not None
    event = {
        "e": "depthUpdate", "E": 1234, "T": 1233, "s": "BTCUSDT", "U": last + first,
        "u": last + 5, "pu": last + previous, "b": [["59000.00", "7.000"]], "a": [],
    }  # fmt: skip
    exchange.publish("btcusdt@depth@100ms", event)
    if joins:
        wait_until(lambda: book.last_update_id == last + 5)
        assert Level(Decimal("59000.00"), Decimal("7")) in book.bids()
        view = book.snapshot()
        assert (view.symbol, view.last_update_id) == ("BTCUSDT", last + 5)
        assert (view.event_time, view.transaction_time) == (1234, 1233)
        delivered(book, changes)  # the diff as a consumer gets it
        diff = changes[-1]
        assert (diff.symbol, diff.first_update_id, diff.last_update_id) == (
            "BTCUSDT",
            last + first,
            last + 5,
        )
        assert (diff.previous_update_id, diff.event_time, diff.transaction_time) == (
            last + previous,
            1234,
            1233,
        )
        assert (diff.bids, diff.asks, diff.snapshot) == (
            (Level(Decimal("59000.00"), Decimal("7")),),
            (),
            False,
        )
        assert repr(book) == f"<LocalOrderBook BTCUSDT synced u={last + 5} resyncs=0>"
        assert (book.resyncs, book.stale_snapshots, book.snapshots) == (0, 0, 1)
    else:
        resync = wait_until(lambda: next((c for c in changes if isinstance(c, BookResync)), None))
        assert (resync.reason, resync.expected, resync.got) == ("gap", last, last - 1)
        assert book.resyncs == 1
    exchange.depth.clear()


def test_after_the_first_diff_only_pu_continues_the_book(exchange, client):
    """The join rule is for the first diff after a snapshot only: later, a diff whose range
    covers the book's update id but whose ``pu`` is not it follows a missed diff (a gap)."""
    book, changes = synced_book(exchange, client)  # a diff from the stream was applied
    u = book.last_update_id
    assert u is not None
    event = {
        "e": "depthUpdate", "E": 1, "T": 1, "s": "BTCUSDT", "U": u, "u": u + 5, "pu": u - 3,
        "b": [["59000.00", "7.000"]], "a": [],
    }  # fmt: skip
    exchange.publish("btcusdt@depth@100ms", event)
    resync = wait_until(lambda: next((c for c in changes if isinstance(c, BookResync)), None))
    assert (resync.reason, resync.expected, resync.got) == ("gap", u, u - 3)


def test_a_resync_snapshot_inside_the_kept_diffs_range_joins_it(exchange, client):
    """The snapshot's id may fall inside a diff's range (``U < lastUpdateId < u``): that diff
    joins it (it is not older than the snapshot) and is applied."""
    book, changes = synced_book(exchange, client)
    exchange.depth.hold("BTCUSDT")  # only the diff below reaches the book
    at = book.last_update_id
    assert at is not None and exchange.depth.stale_snapshot("BTCUSDT") == at
    event = {
        "e": "depthUpdate", "E": 1, "T": 1, "s": "BTCUSDT", "U": at - 2, "u": at + 3,
        "pu": at - 5, "b": [["59000.00", "7.000"]], "a": [],
    }  # fmt: skip
    exchange.publish("btcusdt@depth@100ms", event)  # pu is not the book's u: a gap, kept
    wait_until(lambda: book.resyncs == 1 and book.synced and book.last_update_id == at + 3)
    assert Level(Decimal("59000.00"), Decimal("7")) in book.bids()
    assert (book.stale_snapshots, book.snapshots) == (0, 2)
    exchange.depth.clear()


def test_a_resync_snapshot_joins_the_buffered_diff_by_its_pu(exchange, client):
    """The diff that showed a gap is kept; the snapshot answered for the resync ends exactly
    where that diff starts (``U`` = lastUpdateId + 1): it joins by ``pu == lastUpdateId``
    alone — the book syncs on that snapshot, no second one is fetched."""
    book, changes = synced_book(exchange, client)
    rng = random.Random(21)
    exchange.depth.skip_next("BTCUSDT")  # the next diff is lost...
    touch(exchange, "BTCUSDT", rng, Decimal("60000"))
    exchange.depth.publish_changes()
    at = exchange.depth.stale_snapshot("BTCUSDT")  # ...and the resync's snapshot ends with it
    assert exchange.depth.skipped["BTCUSDT"] == [at]
    depth_before = depth_requests(exchange, "BTCUSDT")
    touch(exchange, "BTCUSDT", rng, Decimal("60000"))
    exchange.depth.publish_changes()  # pu == at != the book's u: a gap, kept for the join
    joined = exchange.depth.book("BTCUSDT")
    assert joined is not None
    wait_until(lambda: book.synced and book.last_update_id == joined[0], timeout=10)
    assert_equal_to_exchange(exchange, book)
    assert (book.resyncs, book.stale_snapshots) == (1, 0)
    assert depth_requests(exchange, "BTCUSDT") == depth_before + 1
    delivered(book, changes)
    assert [c.reason for c in changes if isinstance(c, BookResync)] == ["gap"]
    after = changes[next(i for i, c in enumerate(changes) if isinstance(c, BookResync)) + 1 :]
    assert len(after) == 1  # one item: the whole book once, not the snapshot and then more
    loaded = changes[-1]  # the whole book: from the snapshot's id to the diff that joined it
    assert loaded.snapshot and (loaded.first_update_id, loaded.last_update_id) == (at, joined[0])
    view = book.snapshot()
    assert (loaded.symbol, loaded.bids, loaded.asks) == ("BTCUSDT", view.bids, view.asks)
    assert (loaded.event_time, loaded.transaction_time) == (view.event_time, view.transaction_time)
    assert loaded.event_time and loaded.transaction_time


def rate_limited_exchange(weight_per_window: int) -> LocalExchange:
    """An exchange enforcing a weight limit of ``weight_per_window`` per 2-second window (the
    scheduler's budget tests shrink Binance's minute to keep them short)."""
    return LocalExchange(
        quiet=True,
        ping_interval=1.0,
        enforce_rate_limits=True,
        weight_limit_per_minute=weight_per_window,
        weight_window_seconds=2,
    )


def test_fifty_symbols_sync_within_a_reduced_weight_budget(no_thread_leak):
    symbols = [f"S{i:02d}USDT" for i in range(50)]
    # 50 snapshots of weight 2 = 100 > the 60 a window allows: the scheduler must spread them.
    with rate_limited_exchange(60) as exchange:
        rng = random.Random(10)
        for symbol in symbols:
            touch(exchange, symbol, rng, Decimal("100"))
        with make(exchange) as client:
            books = client.local_order_books(symbols, limit=20, weight_share=0.5)
            assert len(exchange.market_subscriptions()) == 1  # one socket for all 50
            stop = threading.Event()

            def churn() -> None:  # every symbol keeps changing, so each can join its snapshot
                while not stop.is_set():
                    for symbol in symbols:
                        if not books[symbol].synced:
                            touch(exchange, symbol, rng, Decimal("100"))
                    stop.wait(0.05)

            worker = threading.Thread(target=churn)
            worker.start()
            try:
                books.wait_synced(timeout=60)
            finally:
                stop.set()
                worker.join()
            scheduler = client._order_books.scheduler  # type: ignore[union-attr]
            assert books.synced_count == 50
            assert scheduler.rate_limited == 0  # never a 429
            assert (scheduler.limit, scheduler.window) == (60, 2.0)  # learned from rateLimits
            assert scheduler.sent >= 50
            for symbol in symbols[:5]:
                settle(exchange, books[symbol])
                assert_equal_to_exchange(exchange, books[symbol])


def test_updates_describe_what_changed(exchange, client):
    book = client.local_order_book("BTCUSDT")
    items: list[Any] = []
    book.on(BookUpdate, items.append)
    touch(exchange, "BTCUSDT", random.Random(12), Decimal("60000"))
    book.wait_synced(timeout=10)
    exchange.set_book(
        "BTCUSDT", [(Decimal("59990.0"), Decimal(3))], [(Decimal("60010.0"), Decimal(4))]
    )
    settle(exchange, book)
    wait_until(lambda: len(items) >= 2)
    first, last = items[0], items[-1]
    assert first.snapshot and first.previous_update_id is None  # the whole book, loaded
    assert not last.snapshot and last.previous_update_id is not None
    assert Level(Decimal("59990.0"), Decimal(3)) in last.bids
    assert any(lv.quantity == 0 for lv in last.bids + last.asks)  # removed levels: qty 0
    assert book.bids() == (Level(Decimal("59990.0"), Decimal(3)),)


def test_the_example_prints_best_bid_ask_and_spread_live():
    example = Path(__file__).resolve().parents[1] / "examples" / "websocket_streams"
    done = subprocess.run(
        [sys.executable, str(example / "local_order_book.py"), "--local", "--seconds", "0.5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("BTCUSDT synced at update id ")
    quotes = [line for line in lines if line.startswith("bid ")]
    assert quotes, done.stdout
    for line in quotes:  # "bid P x Q   ask P x Q   spread S", and S is ask - bid, positive
        words = line.split()
        bid, ask, spread = Decimal(words[1]), Decimal(words[5]), Decimal(words[9])
        assert spread == ask - bid > 0
    assert lines[-1].startswith("resyncs: ")


def test_resyncs_go_before_first_syncs(no_thread_leak):
    # Two snapshots of weight 2 per 2-second window: first syncs of five books must queue.
    with rate_limited_exchange(8) as exchange:
        rng = random.Random(13)
        symbols = ["BTCUSDT"] + [f"Q{i}USDT" for i in range(5)]
        for symbol in symbols[1:]:
            touch(exchange, symbol, rng, Decimal("100"))
        with make(exchange) as client:
            first, changes = synced_book(exchange, client, "BTCUSDT", limit=20)
            others = client.local_order_books(symbols[1:], limit=20)
            exchange.depth.skip_next("BTCUSDT")  # a gap: BTCUSDT asks for a snapshot again
            for _ in range(2):
                touch(exchange, "BTCUSDT", rng, Decimal("60000"))
                exchange.depth.publish_changes()
            wait_until(lambda: first.resyncs == 1)
            stop = threading.Event()

            def churn() -> None:
                while not stop.is_set():
                    for symbol in symbols:
                        touch(
                            exchange,
                            symbol,
                            rng,
                            Decimal("60000" if symbol == "BTCUSDT" else "100"),
                        )
                    stop.wait(0.05)

            worker = threading.Thread(target=churn)
            worker.start()
            try:
                first.wait_synced(timeout=30)
                others.wait_synced(timeout=60)
            finally:
                stop.set()
                worker.join()
            order = [r.params.get("symbol") for r in exchange.requests if r.method == "depth"]
            resync_at = [i for i, s in enumerate(order) if s == "BTCUSDT"][1]
            later = [s for s in order[resync_at:] if s != "BTCUSDT"]
            assert len(set(later)) >= 2, order  # it overtook first syncs queued before it
            assert client._order_books.scheduler.rate_limited == 0  # type: ignore[union-attr]


def test_futures_ids_need_not_be_contiguous_and_unknown_removals_are_normal(exchange, client):
    book, changes = synced_book(exchange, client)
    u = book.last_update_id
    assert u is not None
    # U is not pu + 1 (futures ids skip), and 1.00 is a level the book never had.
    event = {
        "e": "depthUpdate", "E": 1, "T": 1, "s": "BTCUSDT", "U": u + 5, "u": u + 9, "pu": u,
        "b": [["59000.00", "7.000"], ["1.00", "0"]], "a": [],
    }  # fmt: skip
    exchange.publish("btcusdt@depth@100ms", event)
    wait_until(lambda: book.last_update_id == u + 9)
    assert book.synced and book.resyncs == 0
    bids = book.bids()
    assert Level(Decimal("59000.00"), Decimal("7")) in bids
    assert not any(isinstance(c, BookResync) for c in changes)


def test_a_socket_rotation_keeps_the_book_synced(exchange):
    with make(exchange, rotation_interval=0.5) as client:
        book, changes = synced_book(exchange, client)
        rng = random.Random(14)
        while client.websocket_streams.rotations < 2:  # changes before, during and after
            touch(exchange, "BTCUSDT", rng, Decimal("60000"))
            exchange.depth.publish_changes()
            wait_until(lambda: book.last_update_id == exchange.depth.book("BTCUSDT")[0], 10)
        settle(exchange, book)
        assert_equal_to_exchange(exchange, book)
        assert book.resyncs == 0 and not any(isinstance(c, BookResync) for c in changes)


GOOD = ["59100.00", "1.000"]
BAD_EVENTS = {  # name: (what the event has instead, what BookResync.detail must name)
    "unparsable-price": ({"b": [GOOD, ["abc", "1.000"]]}, "InvalidOperation"),
    "negative-qty": ({"b": [GOOD, ["59000.00", "-1"]]}, "'-1'"),
    "nan-qty": ({"b": [GOOD, ["59000.00", "NaN"]]}, "'NaN'"),
    "infinite-price": ({"b": [GOOD, ["Infinity", "1.000"]]}, "'Infinity'"),
    "no-qty": ({"b": [GOOD, ["59000.00"]]}, "unpack"),
    "U-after-u": ({"U": 2, "b": [GOOD]}, "> u"),
}


def bad_event(u: int, name: str) -> dict[str, Any]:
    change, _ = BAD_EVENTS[name]
    event = {"e": "depthUpdate", "E": 1, "T": 1, "s": "BTCUSDT", "U": u + 1, "u": u + 1, "pu": u,
             "a": []}  # fmt: skip
    event.update(change)
    if name == "U-after-u":
        event["U"] = u + 2
    return event


@pytest.mark.parametrize("name", list(BAD_EVENTS))
def test_an_unreadable_event_unsyncs_then_resyncs(exchange, client, name):
    book, changes = synced_book(exchange, client)
    u = book.last_update_id
    assert u is not None
    exchange.publish("btcusdt@depth@100ms", bad_event(u, name))
    resync = wait_until(lambda: next((c for c in changes if isinstance(c, BookResync)), None))
    assert resync.reason == "invalid"
    assert resync.detail.startswith("unreadable depth event") and BAD_EVENTS[name][1] in (
        resync.detail
    )  # what was wrong with it
    touch(exchange, "BTCUSDT", random.Random(15), Decimal("60000"))
    settle(exchange, book)
    assert_equal_to_exchange(exchange, book)  # the half-read event left nothing behind


@pytest.mark.parametrize("name", list(BAD_EVENTS))
def test_an_unreadable_event_resyncs_a_book_nobody_consumes(exchange, client, name):
    """The check is the book's own, not a side effect of describing the change to a
    consumer: a book nobody iterates resyncs on the same events."""
    book = client.local_order_book("BTCUSDT")
    touch(exchange, "BTCUSDT", random.Random(2), Decimal("60000"))
    book.wait_synced(timeout=10)
    touch(exchange, "BTCUSDT", random.Random(20), Decimal("60000"))
    settle(exchange, book)
    u = book.last_update_id
    assert u is not None and book.resyncs == 0
    exchange.publish("btcusdt@depth@100ms", bad_event(u, name))
    wait_until(lambda: book.resyncs == 1)
    touch(exchange, "BTCUSDT", random.Random(15), Decimal("60000"))
    settle(exchange, book)
    assert_equal_to_exchange(exchange, book)
    assert book.resyncs == 1


@pytest.mark.parametrize(
    "replace, named",
    [
        ({"lastUpdateId": "x"}, "'x'"),
        ({"lastUpdateId": None}, "NoneType"),
        ({"bids": [["abc", "1.000"]]}, "ConversionSyntax"),
        ({"bids": [["59000.00", "-1"]]}, "'-1'"),
        ({"asks": [["Infinity", "1.000"]]}, "'Infinity'"),
        ({"bids": [["59000.00", "NaN"]]}, "'NaN'"),
        ({"asks": None}, "NoneType"),
    ],
    ids=[
        "id-text",
        "id-null",
        "price-text",
        "negative-qty",
        "infinite-price",
        "nan-qty",
        "no-asks",
    ],
)
def test_an_unreadable_snapshot_is_reported_and_another_fetched(exchange, client, replace, named):
    """A ``depth`` reply the book cannot read never loads: ``on_error`` gets a
    ``BinanceWsError`` naming the symbol and what was wrong, and another snapshot syncs it."""
    touch(exchange, "BTCUSDT", random.Random(22), Decimal("60000"))
    exchange.depth.publish_changes()
    exchange.depth.stale_snapshot("BTCUSDT", replace)
    book = client.local_order_book("BTCUSDT")
    errors: list[BaseException] = []
    book.on_error(errors.append)
    book.on_any(lambda item: None)
    book.wait_synced(timeout=10)
    assert_equal_to_exchange(exchange, book)
    assert (book.snapshots, book.resyncs) == (1, 0)  # the unreadable one does not count
    assert depth_requests(exchange, "BTCUSDT") == 2
    error = wait_until(lambda: errors and errors[0])
    assert type(error) is BinanceWsError and len(errors) == 1
    assert str(error).startswith("BTCUSDT: unreadable depth snapshot") and named in str(error)


def test_zero_quantity_levels_of_a_snapshot_are_not_levels(exchange, client):
    touch(exchange, "BTCUSDT", random.Random(23), Decimal("60000"))
    exchange.depth.publish_changes()
    exchange.depth.hold("BTCUSDT")  # the book stays at its snapshot
    bids = [["59990.00", "1.000"], ["59980.00", "0"], ["59970.00", "0.000"], ["59960.00", "2"]]
    exchange.depth.stale_snapshot("BTCUSDT", {"bids": bids})
    book = client.local_order_book("BTCUSDT").wait_synced(timeout=10)
    assert book.bids() == (
        Level(Decimal("59990.00"), Decimal("1.000")),
        Level(Decimal("59960.00"), Decimal("2")),
    )
    exchange.depth.clear()


@pytest.mark.parametrize(
    "status, code, kind",
    [(503, -1001, ServerSideError), (400, -1000, BadRequest), (429, -1003, RateLimited)],
    ids=["server-side", "transient-400", "rate-limited"],
)
def test_a_failed_snapshot_request_is_reported_and_retried(
    exchange, client, status, code, kind, caplog
):
    """A ``depth`` that fails for a passing reason (5xx, a transient code, a 429 with
    ``retryAfter``) is retried after a pause — never fatal — and reported to ``on_error``."""
    touch(exchange, "BTCUSDT", random.Random(24), Decimal("60000"))
    exchange.depth.publish_changes()
    data = {"retryAfter": int(time.time() * 1000) + 200} if status == 429 else None
    exchange.faults.error_reply("depth", status, code, "try again", times=1, data=data)
    caplog.set_level(logging.WARNING, logger="binance_usdm_ws")
    book = client.local_order_book("BTCUSDT")
    errors: list[BaseException] = []
    book.on_error(errors.append)
    book.on_any(lambda item: None)
    book.wait_synced(timeout=10)
    assert_equal_to_exchange(exchange, book)
    assert depth_requests(exchange, "BTCUSDT") == 2 and book.snapshots == 1
    error = wait_until(lambda: errors and errors[0])
    assert type(error) is kind and (error.status, error.code) == (status, code)
    assert f"depth snapshot of BTCUSDT failed: {error}" in [r.getMessage() for r in caplog.records]
    scheduler = client._order_books.scheduler  # type: ignore[union-attr]
    assert scheduler.rate_limited == (1 if status == 429 else 0)
    # The snapshots' thread is named for what it does, and never keeps a program alive.
    thread = next(t for t in threading.enumerate() if t.name == "binance-usdm-ws-book-snapshots")
    assert thread.daemon
    client.close()
    assert not thread.is_alive()  # ended by close(), not some time after


@pytest.mark.parametrize("share, fit", [(0.25, 5), (None, 10)], ids=["quarter", "default-half"])
def test_weight_share_bounds_the_snapshots_of_a_window(no_thread_leak, share, fit):
    """``weight_share`` (default 0.5) of a 40 a minute: 10 (or 20), five (or ten) snapshots of
    weight 2 — the other books wait for the next window (a minute away: not within this test)."""
    with LocalExchange(
        quiet=True, enforce_rate_limits=True, weight_limit_per_minute=40
    ) as exchange:
        symbols = [f"V{i}USDT" for i in range(fit + 3)]
        rng = random.Random(25)
        for symbol in symbols:
            touch(exchange, symbol, rng, Decimal("100"))
        with make(exchange) as client:
            books = client.local_order_books(symbols, limit=20, weight_share=share)

            def sent() -> int:
                return sum(1 for r in exchange.requests if r.method == "depth")

            wait_until(lambda: books.synced_count == fit and sent() == fit, timeout=20)
            scheduler = client._order_books.scheduler  # type: ignore[union-attr]
            assert scheduler.queued == 3 and scheduler.limit == 40
            assert sent() == fit and books.synced_count == fit and scheduler.rate_limited == 0


def test_up_to_eight_snapshots_are_in_flight_at_once(exchange):
    """Once the limit is known, snapshot requests go out concurrently, eight at most: with
    no answer coming, eight are sent and the other books wait."""
    with make(exchange, timeout=120.0) as client:
        client.local_order_book("BTCUSDT").wait_synced(timeout=10)  # the limit is known
        exchange.faults.never_reply("depth")
        symbols = [f"F{i}USDT" for i in range(10)]
        rng = random.Random(26)
        for symbol in symbols:
            touch(exchange, symbol, rng, Decimal("100"))
        client.local_order_books(symbols, limit=20)
        scheduler = client._order_books.scheduler  # type: ignore[union-attr]

        def sent() -> int:
            return sum(1 for r in exchange.requests if r.method == "depth")

        wait_until(lambda: sent() == 9 and scheduler.queued == 2, timeout=20)
        assert scheduler.sent == 9 and scheduler.queued == 2 and sent() == 9


def test_a_book_closed_while_queued_is_never_asked_for(exchange, client):
    """A book closed while it waits for its turn costs no ``depth`` request; the books queued
    after it still get theirs."""
    client.local_order_book("BTCUSDT").wait_synced(timeout=10)
    scheduler = client._order_books.scheduler  # type: ignore[union-attr]
    with scheduler._cond:
        scheduler._pause_until = time.monotonic() + 1000  # hold every request back
    rng = random.Random(28)
    for symbol in ("C1USDT", "C2USDT"):
        touch(exchange, symbol, rng, Decimal("100"))
    books = client.local_order_books(["C1USDT", "C2USDT"], limit=20)
    assert scheduler.queued == 2
    books["C1USDT"].close()
    with scheduler._cond:
        scheduler._pause_until = 0.0
        scheduler._cond.notify_all()
    assert_equal_to_exchange(exchange, books["C2USDT"].wait_synced(timeout=10))
    assert depth_requests(exchange, "C1USDT") == 0 and scheduler.queued == 0


def test_a_depth_event_without_integer_ids_resyncs_and_others_are_ignored(exchange, client):
    """On the depth stream: an event of another type or symbol changes nothing; a
    ``depthUpdate`` whose ``U``, ``u`` or ``pu`` is not an integer resyncs the book."""
    book, changes = synced_book(exchange, client)
    u = book.last_update_id
    assert u is not None
    base = {"e": "depthUpdate", "E": 1, "T": 1, "s": "BTCUSDT", "U": u + 1, "u": u + 1, "pu": u,
            "b": [["59000.00", "7.000"]], "a": []}  # fmt: skip
    exchange.publish("btcusdt@depth@100ms", dict(base, e="somethingElse"))
    exchange.publish("btcusdt@depth@100ms", dict(base, s="ETHUSDT"))
    touch(exchange, "BTCUSDT", random.Random(29), Decimal("60000"))
    settle(exchange, book)  # the next real diff continues the book: nothing was applied
    assert_equal_to_exchange(exchange, book)
    assert book.resyncs == 0
    u = book.last_update_id
    exchange.publish("btcusdt@depth@100ms", dict(base, U=u + 1, u=str(u + 1), pu=u))
    resync = wait_until(lambda: next((c for c in changes if isinstance(c, BookResync)), None))
    assert (resync.reason, resync.detail) == (
        "invalid",
        "a depth event without integer U, u and pu",
    )
    touch(exchange, "BTCUSDT", random.Random(30), Decimal("60000"))
    settle(exchange, book)
    assert_equal_to_exchange(exchange, book)


def test_books_wait_synced_names_the_book_that_is_not(exchange, client):
    """``LocalOrderBooks.wait_synced`` raises ``BookNotSynced`` naming a book that is not
    synced in time and how many are; after ``close()``, at once with reason "closed"."""
    exchange.faults.never_reply("depth")
    books = client.local_order_books(["BTCUSDT", "ETHUSDT"])
    assert repr(books) == "<LocalOrderBooks 0/2 synced>" and len(books) == 2
    assert books["btcusdt"] is books["BTCUSDT"] and list(books) == ["BTCUSDT", "ETHUSDT"]
    with pytest.raises(BookNotSynced) as info:
        books.wait_synced(timeout=0.3)
    assert (info.value.symbol, info.value.reason) == ("BTCUSDT", "syncing")
    assert str(info.value) == "0 of 2 order books synced within 0.3 s; BTCUSDT is not (syncing)"
    books.close()
    with pytest.raises(BookNotSynced) as info:
        books.wait_synced()  # no timeout: closed books never sync, so at once
    assert info.value.reason == "closed" and books.synced_count == 0


def test_snapshots_leave_the_users_share_of_the_window(no_thread_leak):
    # The user's own calls have used 95 of the window's 100: snapshots must wait for the next
    # window rather than take the count past the limit (a 429).
    with rate_limited_exchange(100) as exchange:
        rng = random.Random(16)
        symbols = [f"W{i}USDT" for i in range(5)]
        for symbol in symbols:
            touch(exchange, symbol, rng, Decimal("100"))
        with make(exchange) as client:
            account = client.websocket_api.account_api
            for _ in range(19):  # weight 5 each
                account.account_information().execute()
            books = client.local_order_books(symbols, limit=20)
            stop = threading.Event()

            def churn() -> None:
                while not stop.is_set():
                    for symbol in symbols:
                        touch(exchange, symbol, rng, Decimal("100"))
                    stop.wait(0.05)

            worker = threading.Thread(target=churn)
            worker.start()
            try:
                books.wait_synced(timeout=30)
            finally:
                stop.set()
                worker.join()
            assert client._order_books.scheduler.rate_limited == 0  # type: ignore[union-attr]
            account.account_information().execute()  # and the user's next call still fits


def depth_requests(exchange: LocalExchange, symbol: str) -> int:
    return sum(1 for r in exchange.requests if r.method == "depth" and r.params["symbol"] == symbol)


def test_an_unknown_symbol_fails_its_book_at_once_and_the_others_sync(exchange, client):
    """-1121 to a book's ``depth`` is final: ``wait_synced`` raises ``BookRefused`` with the
    server's status, code and msg (no retry); the other books of the call sync."""
    books = client.local_order_books(["BTCUSDT", "NOPEUSDT", "ETHUSDT"])
    with pytest.raises(BookRefused) as info:
        books.wait_synced(timeout=20)
    refusal = info.value
    assert isinstance(refusal, BookNotSynced) and refusal.reason == "refused"
    assert (refusal.symbol, refusal.status, refusal.code) == ("NOPEUSDT", 400, -1121)
    assert refusal.msg == "Invalid symbol." and refusal.__cause__ is refusal.error
    assert str(refusal) == (
        "the NOPEUSDT order book (one of 3) was refused: status 400, code -1121: Invalid symbol."
    )
    for symbol in ("BTCUSDT", "ETHUSDT"):
        assert_equal_to_exchange(exchange, books[symbol].wait_synced(timeout=10))
    with pytest.raises(BookRefused) as again:
        books["NOPEUSDT"].wait_synced(timeout=10)
    assert again.value.code == -1121
    with pytest.raises(BookRefused):
        books["NOPEUSDT"].best_bid()
    assert books["NOPEUSDT"].best_bid(strict=False) is None
    touch(exchange, "BTCUSDT", random.Random(13), Decimal("60000"))
    settle(exchange, books["BTCUSDT"])
    assert depth_requests(exchange, "NOPEUSDT") == 1  # never asked again
    books.close()


def test_a_single_unknown_symbol_book_raises_the_servers_error(exchange, client):
    book = client.local_order_book("nopeusdt")
    errors: list[BaseException] = []
    book.on_error(errors.append)
    book.on_any(lambda item: None)
    with pytest.raises(BookRefused) as info:
        book.wait_synced(timeout=20)
    reported = wait_until(lambda: errors and errors[0])  # the server's answer, to on_error too
    assert type(reported) is BadRequest and reported.code == -1121
    assert (info.value.code, info.value.msg) == (-1121, "Invalid symbol.")
    assert info.value.__cause__ is info.value.error
    assert (info.value.symbol, info.value.reason, info.value.status) == ("NOPEUSDT", "refused", 400)
    assert repr(book) == "<LocalOrderBook NOPEUSDT not synced (refused) resyncs=0>"


def test_a_rejected_subscription_fails_the_call_with_the_servers_error(exchange, client):
    exchange.market.reject.append((2, "Invalid request: refused"))
    with pytest.raises(SubscriptionRejected) as info:
        client.local_order_books(["BTCUSDT", "ETHUSDT"])
    assert (info.value.code, info.value.msg) == (2, "Invalid request: refused")
    assert depth_requests(exchange, "BTCUSDT") == 0  # nothing asked for a book that has no stream
    book = client.local_order_book("BTCUSDT").wait_synced(timeout=10)  # the next one works
    assert_equal_to_exchange(exchange, book)


def test_a_consumer_that_starts_on_a_synced_book_gets_the_whole_book_first(exchange, client):
    """Consumption may start before or after the book syncs (a race under load, which made
    ``test_a_missing_diff…`` flaky): either way its first item is the whole book, then diffs
    that continue it."""
    book = client.local_order_book("BTCUSDT").wait_synced()  # no timeout: until synced
    view = book.snapshot()
    at = view.last_update_id
    assert view.symbol == "BTCUSDT" and view.event_time and view.transaction_time
    changes: list[Any] = []
    book.on_any(changes.append)
    touch(exchange, "BTCUSDT", random.Random(14), Decimal("60000"))
    settle(exchange, book)
    wait_until(lambda: len(changes) >= 2)
    first, second = changes[:2]
    assert isinstance(first, BookUpdate) and first.snapshot and first.last_update_id == at
    assert (first.bids, first.asks) == published(exchange, "BTCUSDT", at)
    assert (first.symbol, first.first_update_id, first.previous_update_id) == ("BTCUSDT", at, None)
    assert (first.event_time, first.transaction_time) == (view.event_time, view.transaction_time)
    assert isinstance(second, BookUpdate) and not second.snapshot
    assert second.previous_update_id == at


@pytest.mark.parametrize("empty", ["bids", "asks"])
def test_an_empty_side_has_no_best_level(exchange, client, empty):
    level = (Decimal("60000.1"), Decimal(1))
    if empty == "bids":
        exchange.set_book("BTCUSDT", [], [level])
    else:
        exchange.set_book("BTCUSDT", [level], [])
    book = client.local_order_book("BTCUSDT").wait_synced(timeout=10)
    if empty == "bids":
        assert (book.best_bid(), book.bids(), book.best_ask()) == (None, (), Level(*level))
    else:
        assert (book.best_ask(), book.asks(), book.best_bid()) == (None, (), Level(*level))


def test_closing_a_book_wakes_its_waiters_and_ends_its_subscription(exchange, client):
    """``close()`` while another thread waits in ``wait_synced()`` (no timeout): the waiter
    gets ``BookNotSynced("closed")`` at once; the book's stream is unsubscribed; reads,
    ``get`` and ``repr`` say closed."""
    exchange.faults.never_reply("depth")  # the book never syncs by itself
    book = client.local_order_book("BTCUSDT")
    assert repr(book) == "<LocalOrderBook BTCUSDT not synced (syncing) resyncs=0>"
    assert [streams for _, streams in exchange.market_subscriptions()] == [["btcusdt@depth@100ms"]]
    assert book.get(timeout=0.01) is None  # nothing happened yet: None, not a hang
    failures: list[BaseException] = []

    def waiter() -> None:
        try:
            book.wait_synced()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=waiter, daemon=True)  # a regression must not hang pytest
    thread.start()
    wait_until(lambda: any(r.method == "depth" for r in exchange.requests))
    book.close()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(failures) == 1 and type(failures[0]) is BookNotSynced
    assert (failures[0].symbol, failures[0].reason) == ("BTCUSDT", "closed")
    with pytest.raises(BookNotSynced) as info:
        book.wait_synced(timeout=10)
    assert info.value.reason == "closed" and "within" not in str(info.value)
    wait_until(lambda: not any(streams for _, streams in exchange.market_subscriptions()))
    assert repr(book) == "<LocalOrderBook BTCUSDT not synced (closed) resyncs=0>"
    assert book.synced is False and book.last_update_id is None


def test_resyncs_and_refusals_are_logged_with_the_symbol_and_reason(exchange, client, caplog):
    """Without a consumer the log is the trace of a resync or a refusal: it names the symbol,
    the reason and what happened."""
    caplog.set_level(logging.INFO, logger="binance_usdm_ws")
    book, changes = synced_book(exchange, client)
    exchange.depth.skip_next("BTCUSDT")
    rng = random.Random(27)
    for _ in range(2):
        touch(exchange, "BTCUSDT", rng, Decimal("60000"))
        exchange.depth.publish_changes()
    resync = wait_until(lambda: next((c for c in changes if isinstance(c, BookResync)), None))
    nope = client.local_order_book("NOPEUSDT")
    with pytest.raises(BookRefused):
        nope.wait_synced(timeout=10)
    messages = [r.getMessage() for r in caplog.records]
    assert f"order book BTCUSDT: resync (gap: {resync.detail})" in messages
    refused = wait_until(  # logged just after the refusal is raised
        lambda: [
            r.getMessage()
            for r in caplog.records
            if r.getMessage().startswith("order book NOPEUSDT: refused (")
        ]
    )
    assert len(refused) == 1 and "-1121" in refused[0] and "Invalid symbol." in refused[0]


def test_a_quiet_book_resyncs_after_a_reconnect_without_any_diff(exchange, client):
    """The reconnect gap comes once the new socket is subscribed (acknowledged): the book asks
    for a snapshot at once and is in sync at it, though the still market sends no diff."""
    book = client.local_order_book("BTCUSDT")
    changes: list[Any] = []
    book.on_any(changes.append)
    at = book.wait_synced(timeout=10).last_update_id
    exchange.faults.drop_connections("stream")
    wait_until(lambda: any(isinstance(c, BookResync) for c in changes), timeout=10)
    wait_until(lambda: book.synced and book.resyncs == 1, timeout=10)
    assert book.last_update_id == at  # nothing changed meanwhile
    assert_equal_to_exchange(exchange, book)
    assert [c.reason for c in changes if isinstance(c, (BookResync, StreamGap))] == [
        "reconnect",
        "reconnect",
    ]


def test_a_reconnect_resyncs_every_book_of_the_subscription(exchange, client):
    books = client.local_order_books(["BTCUSDT", "ETHUSDT"]).wait_synced(timeout=10)
    exchange.faults.drop_connections("stream")
    wait_until(lambda: all(b.resyncs == 1 and b.synced for b in books.values()), timeout=10)
    for book in books.values():
        assert_equal_to_exchange(exchange, book)


def depth_event(first: int, last: int, previous: int, **sides: Any) -> dict[str, Any]:
    """A ``depthUpdate`` of BTCUSDT with ids ``U``, ``u``, ``pu`` and levels ``b``/``a``."""
    return {"e": "depthUpdate", "E": 1, "T": 1, "s": "BTCUSDT", "U": first, "u": last,
            "pu": previous, "b": sides.get("b", []), "a": sides.get("a", [])}  # fmt: skip


TICKER = {"e": "bookTicker", "u": 1, "s": "BTCUSDT", "b": "1.0", "B": "1", "a": "2.0", "A": "1",
          "T": 1, "E": 1}  # fmt: skip


def buffered_then_synced(
    exchange: LocalExchange,
    client: BinanceDerivativesTradingUsdsFuturesClient,
    events: Callable[[int], list[dict[str, Any]]],
    next_snapshot: Optional[Callable[[int], dict[str, Any]]] = None,
) -> tuple[LocalOrderBook, int]:
    """Open a BTCUSDT book whose first snapshot (the exchange's book now, ``lastUpdateId``
    ``at``) reaches it only after ``events(at)`` are all queued for it; ``next_snapshot(at)``
    sets fields of the next ``depth`` reply. The exchange's own diffs are held back."""
    exchange.depth.hold("BTCUSDT")
    watcher = client.websocket_streams.subscribe(["btcusdt@bookTicker"])
    at = exchange.depth.stale_snapshot("BTCUSDT")  # what the first depth answers
    exchange.faults.reorder(2)  # its reply waits for the next WS API reply
    book = client.local_order_book("BTCUSDT")
    assert [streams for _, streams in exchange.market_subscriptions()] == [
        ["btcusdt@bookTicker", "btcusdt@depth@100ms"]
    ]  # one socket: the marker below comes after the events
    wait_until(lambda: depth_requests(exchange, "BTCUSDT") == 1, timeout=10)
    if next_snapshot is not None:
        exchange.depth.stale_snapshot("BTCUSDT", next_snapshot(at))
    exchange.publish_burst("btcusdt@depth@100ms", events(at))
    exchange.publish("btcusdt@bookTicker", TICKER)
    assert watcher.get(timeout=30) is not None  # every event is queued for the book now
    client.websocket_api.account_api.account_information().execute()  # releases the depth
    watcher.unsubscribe()
    return book, at


@pytest.mark.parametrize("buffered", [10_000, 10_001], ids=["at-the-cap", "one-over"])
def test_the_buffer_before_a_snapshot_keeps_the_newest_ten_thousand_events(exchange, buffered):
    """While a book waits for its snapshot it buffers at most 10 000 events, dropping the
    oldest: with 10 000 buffered, the first one (which joins the snapshot) is still there and
    the book syncs on that snapshot; one more and it is gone — the snapshot no longer joins,
    it counts as stale and a newer one is fetched."""
    touch(exchange, "BTCUSDT", random.Random(31), Decimal("60000"))
    exchange.depth.publish_changes()

    def events(at: int) -> list[dict[str, Any]]:
        joins = depth_event(at + 1, at + 1, at, b=[["59000.00", "7.000"]])  # pu == at
        follows = depth_event(at + 2, at + 2, at + 1)  # pu == at + 1
        return [joins] + [follows] * (buffered - 1)

    # queue_size: the subscription's own queue must not overflow on the burst.
    with make(exchange, timeout=120.0, queue_size=3 * buffered) as client:
        book, at = buffered_then_synced(
            exchange, client, events, lambda at: {"lastUpdateId": at + 1}
        )
        book.wait_synced(timeout=30)
        wait_until(lambda: book.last_update_id == at + 2, timeout=30)
        if buffered == 10_000:  # the first event was kept: it joined the first snapshot
            assert (book.snapshots, book.stale_snapshots) == (1, 0)
            assert Level(Decimal("59000.00"), Decimal("7")) in book.bids()
        else:  # the first event was dropped: the second snapshot (at + 1) joined the rest
            assert (book.snapshots, book.stale_snapshots) == (2, 1)
            assert Level(Decimal("59000.00"), Decimal("7")) not in book.bids()
            assert depth_requests(exchange, "BTCUSDT") == 2
        assert book.resyncs == 0
        wait_until(lambda: book.duplicates == buffered - 2, timeout=30)  # the other copies
        exchange.depth.clear()


def test_a_duplicate_among_the_buffered_events_is_skipped_and_the_rest_applied(exchange):
    """Events buffered before the snapshot are applied after the one that joins it; a copy
    of one already applied is skipped (counted in ``duplicates``), and those after it still
    apply — the book ends at the last one, with no resync."""
    touch(exchange, "BTCUSDT", random.Random(35), Decimal("60000"))
    exchange.depth.publish_changes()

    def events(at: int) -> list[dict[str, Any]]:
        second = depth_event(at + 2, at + 3, at + 1, a=[["61000.00", "2.000"]])
        return [
            depth_event(at - 1, at + 1, at - 4, b=[["59000.00", "7.000"]]),  # joins: U<=at<=u
            second,
            second,  # a copy
            depth_event(at + 4, at + 4, at + 3, b=[["58000.00", "3.000"]]),
        ]

    with make(exchange) as client:
        book, at = buffered_then_synced(exchange, client, events)
        wait_until(lambda: book.last_update_id == at + 4, timeout=30)
        for level in [("59000.00", "7"), ("58000.00", "3")]:
            assert Level(*map(Decimal, level)) in book.bids()
        assert Level(Decimal("61000.00"), Decimal("2")) in book.asks()
        assert (book.duplicates, book.resyncs, book.snapshots) == (1, 0, 1)
        exchange.depth.clear()


def test_an_unreadable_snapshot_is_fetched_again_before_the_first_syncs_queued(no_thread_leak):
    """The book whose snapshot could not be read asks again with the resyncs' priority: its
    next ``depth`` goes before the first syncs queued behind it, not after them all."""
    # Two snapshots of weight 2 per 2-second window: the other five books must queue.
    with rate_limited_exchange(8) as exchange:
        symbols = ["BTCUSDT"] + [f"Q{i}USDT" for i in range(5)]
        rng = random.Random(32)
        for symbol in symbols:
            touch(exchange, symbol, rng, Decimal("100"))
        exchange.depth.stale_snapshot("BTCUSDT", {"lastUpdateId": "x"})  # unreadable
        with make(exchange) as client:
            books = client.local_order_books(symbols, limit=20)  # queued in this order

            def order() -> list[str]:
                return [r.params["symbol"] for r in exchange.requests if r.method == "depth"]

            wait_until(lambda: len(order()) >= 3, timeout=30)
            # BTCUSDT, maybe one first sync sent in the same window, then BTCUSDT again.
            assert order()[0] == "BTCUSDT" and "BTCUSDT" in order()[1:3], order()
            books.wait_synced(timeout=60)
            assert books["BTCUSDT"].snapshots == 1 and books["BTCUSDT"].resyncs == 0
            assert client._order_books.scheduler.rate_limited == 0  # type: ignore[union-attr]


def drain_to(book: LocalOrderBook, last_update_id: int) -> list[Any]:
    """``get`` the book's change items up to the update with ``last_update_id``."""
    items: list[Any] = []
    while not (
        items and isinstance(items[-1], BookUpdate) and items[-1].last_update_id == last_update_id
    ):
        item = book.get(timeout=10)
        assert item is not None, items
        items.append(item)
    return items


def assert_a_chain(updates: list[Any], last_update_id: int) -> None:
    """Diffs that continue one another, ending at ``last_update_id``."""
    assert all(isinstance(u, BookUpdate) and not u.snapshot for u in updates), updates
    for before, after in zip(updates, updates[1:]):
        assert after.previous_update_id == before.last_update_id
    assert updates[-1].last_update_id == last_update_id


def test_a_consumer_that_falls_behind_gets_an_overflow_gap_and_the_book_stays_exact(exchange):
    """The change queue holds ``queue_size`` items: a consumer that stops taking them gets a
    ``StreamGap(reason="overflow")`` for the oldest, dropped ones, then the newest; the book
    itself never resyncs for that and stays equal to the exchange."""
    with make(exchange, queue_size=4) as client:
        book = client.local_order_book("BTCUSDT").wait_synced(timeout=10)
        first = book.get(timeout=10)  # consumption starts: the whole book
        assert isinstance(first, BookUpdate) and first.snapshot
        rng = random.Random(33)
        for _ in range(8):  # one diff at a time: the subscription's own queue never fills
            touch(exchange, "BTCUSDT", rng, Decimal("60000"))
            settle(exchange, book)
        at = assert_equal_to_exchange(exchange, book)
        items = drain_to(book, at)
        gap = items[0]
        assert isinstance(gap, StreamGap) and gap.reason == "overflow" and gap.dropped >= 4
        assert "queue_size 4" in gap.detail
        assert len(items) == 5  # the gap, then the four newest diffs
        assert_a_chain(items[1:], at)
        assert first.last_update_id < items[1].previous_update_id  # the oldest went
        assert book.synced and book.resyncs == 0


def test_a_reconnect_gap_is_never_dropped_from_a_full_change_queue(exchange):
    """A ``StreamGap`` is a notice: a consumer far behind still gets the reconnect's gap, in
    its place before the overflow gap of the items dropped after it."""
    with make(exchange, queue_size=4) as client:
        book = client.local_order_book("BTCUSDT").wait_synced(timeout=10)
        assert book.get(timeout=10) is not None  # consumption starts
        exchange.faults.drop_connections("stream")
        wait_until(lambda: book.resyncs == 1 and book.synced, timeout=10)
        rng = random.Random(34)
        for _ in range(6):
            touch(exchange, "BTCUSDT", rng, Decimal("60000"))
            settle(exchange, book)
        at = assert_equal_to_exchange(exchange, book)
        items = drain_to(book, at)
        assert isinstance(items[0], StreamGap) and items[0].reason == "reconnect"
        assert isinstance(items[1], StreamGap) and items[1].reason == "overflow"
        assert len(items) == 6
        assert_a_chain(items[2:], at)


@pytest.mark.parametrize("kind", ["unreadable", "crossed"])
def test_readers_never_see_a_bad_event_as_synced(exchange, client, kind):
    """An event that cannot be applied whole (unreadable) or leaves the book crossed unsyncs
    the book before its lock is released: readers in other threads, reading all the while,
    see the exchange's book or nothing — never the bad event's levels in a synced book.
    Each event is long (the lock is held a while, the readers queue behind it)."""
    book, _ = synced_book(exchange, client)
    at = book.last_update_id
    assert at is not None
    bids, asks = published(exchange, "BTCUSDT", at)  # the exchange is still from here on
    stop = threading.Event()
    reads = [0, 0]
    wrong: list[Any] = []

    def reader(n: int) -> None:
        while not stop.is_set():
            view = book.snapshot(strict=False)
            if view is not None:
                reads[n] += 1
                if (view.last_update_id, view.bids, view.asks) != (at, bids, asks):
                    wrong.append(view)

    readers = [threading.Thread(target=reader, args=(n,), daemon=True) for n in range(2)]
    for thread in readers:
        thread.start()
    try:
        many = [[f"{50000 + i}.00", "1.000"] for i in range(900)]  # below the best bid
        last = ["59000.00", "-1"] if kind == "unreadable" else [str(asks[0].price), "1.000"]
        for n in range(1, 31):
            assert book.wait_synced(timeout=10).last_update_id == at  # synced again
            exchange.publish(
                "btcusdt@depth@100ms", depth_event(at + 1, at + 1, at, b=many + [last])
            )
            wait_until(lambda n=n: book.resyncs == n, timeout=10)  # type: ignore[misc]
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=10)
    assert wrong == [] and all(reads)


def test_wait_synced_waits_its_whole_timeout_before_it_gives_up(exchange, client):
    """``wait_synced(timeout)`` on a book that does not sync raises ``BookNotSynced`` only
    once ``timeout`` has passed (checked from below only: a loaded machine is slower)."""
    exchange.faults.never_reply("depth")
    book = client.local_order_book("BTCUSDT")
    books = client.local_order_books(["ETHUSDT", "BNBUSDT"])
    for wait, timeout in [(book.wait_synced, 0.3), (books.wait_synced, 0.35)]:
        started = time.monotonic()
        with pytest.raises(BookNotSynced) as info:
            wait(timeout=timeout)
        assert time.monotonic() - started >= timeout
        assert info.value.reason == "syncing" and f"within {timeout} s" in str(info.value)


def test_a_book_nobody_consumes_keeps_no_backlog(exchange, client):
    """Changes are kept only from the first ``get``/iteration/callback on: before that the
    book queues nothing, and the consumer's first item is the whole book as it is then.
    Callbacks run in a thread named for the book."""
    book = client.local_order_book("BTCUSDT").wait_synced(timeout=10)
    for seed in (36, 37):  # diffs applied while nobody consumes
        touch(exchange, "BTCUSDT", random.Random(seed), Decimal("60000"))
        settle(exchange, book)
    assert book.pending == 0
    at = assert_equal_to_exchange(exchange, book)
    items: list[tuple[str, Any]] = []
    book.on_any(lambda item: items.append((threading.current_thread().name, item)))
    name, first = wait_until(lambda: items and items[0])
    assert isinstance(first, BookUpdate) and first.snapshot and first.last_update_id == at
    assert (first.bids, first.asks) == published(exchange, "BTCUSDT", at)
    assert name == "binance-usdm-ws-book-BTCUSDT-delivery"


def test_closing_one_book_of_a_call_leaves_the_others_live_until_the_last(exchange, client):
    """``close()`` of one book of a ``local_order_books`` call (twice: it is idempotent) ends
    that book only; the others keep following the stream on the same subscription, which is
    unsubscribed with the last of them."""
    books = client.local_order_books(["BTCUSDT", "ETHUSDT"]).wait_synced(timeout=10)
    btc, eth = books["BTCUSDT"], books["ETHUSDT"]
    btc.close()
    btc.close()
    assert (btc.synced, eth.synced, books.synced_count) == (False, True, 1)
    touch(exchange, "ETHUSDT", random.Random(38), Decimal("3000"))
    settle(exchange, eth)
    assert_equal_to_exchange(exchange, eth)
    assert [streams for _, streams in exchange.market_subscriptions()] == [
        ["btcusdt@depth@100ms", "ethusdt@depth@100ms"]
    ]
    eth.close()
    wait_until(lambda: not any(streams for _, streams in exchange.market_subscriptions()))
    with pytest.raises(BookNotSynced) as info:
        eth.best_bid()
    assert info.value.reason == "closed"
    books.close()  # idempotent too


def feed_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("binance-usdm-ws-books-")}


def test_the_books_of_a_call_are_updated_by_one_named_daemon_thread(exchange, client):
    """One thread per ``local_order_books`` call, named for what it does (numbered), a daemon
    (it never keeps a program alive), ended by ``close()`` before it returns."""
    before = feed_threads()
    books = client.local_order_books(["BTCUSDT", "ETHUSDT"]).wait_synced(timeout=10)
    other = client.local_order_book("BNBUSDT")
    threads = feed_threads() - before
    assert len(threads) == 2 and all(t.daemon and t.is_alive() for t in threads)
    numbers = {int(t.name.rpartition("-")[2]) for t in threads}
    assert len(numbers) == 2
    books.close()
    assert [t.is_alive() for t in threads].count(False) == 1
    other.close()
    assert not any(t.is_alive() for t in threads)


def test_a_book_follows_the_stream_after_a_quiet_spell(exchange, client):
    """Seconds without any event (a still market) do not end the book's thread: the next
    diff is applied."""
    book = client.local_order_book("BTCUSDT").wait_synced(timeout=10)
    time.sleep(2.5)  # longer than the feed thread's 1 s wait for an item, twice
    touch(exchange, "BTCUSDT", random.Random(39), Decimal("60000"))
    settle(exchange, book)
    assert_equal_to_exchange(exchange, book)
    assert book.resyncs == 0
