"""One silent stream: its cadence, its report (``StreamSilent``), its repair, its gap.

Over real sockets against the local exchange, whose ``faults.stall_stream`` stops one stream
while its socket and the other streams on it go on. Small factors via configuration keep the
tests short; they assert what happens and in which order, not how fast.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, Callable, Optional

import pytest
import websocket

from binance_usdm_ws import (
    AggregateTrade,
    BinanceDerivativesTradingUsdsFuturesClient,
    CompositeIndex,
    ConfigurationWebsocketStreams,
    InvalidRequest,
    MarkPriceUpdate,
    StreamGap,
    StreamRequest,
    StreamSilent,
    WebsocketStreams,
    parse_stream_name,
)
from binance_usdm_ws.testing import LocalExchange

from .conftest import wait_until
from .test_stream_builders import CASES

#: markPrice@1s (published every second by the exchange) is silent after max(2 × 1, 0.5) = 2 s.
FAST = dict(stream_silence_factor=2.0, stream_silence_floor=0.5)
MARK = "btcusdt@markPrice@1s"
TRADE = {"e": "aggTrade", "E": 1, "s": "BTCUSDT", "a": 1, "p": "60000.1", "q": "0.5", "T": 1}
TRADE |= {"f": 1, "l": 1, "m": False}  # every field of aggTrade


@pytest.fixture
def streams(exchange: LocalExchange) -> Iterator[Callable[..., WebsocketStreams]]:
    clients: list[BinanceDerivativesTradingUsdsFuturesClient] = []

    def make(**overrides: Any) -> WebsocketStreams:
        options: dict[str, Any] = dict(base_path=exchange.streams_url, reconnect_delay=0.05)
        options.update(overrides)
        client = BinanceDerivativesTradingUsdsFuturesClient(
            websocket_streams=ConfigurationWebsocketStreams(**options)
        )
        clients.append(client)
        return client.websocket_streams

    yield make
    for client in clients:
        client.close()


def next_notice(handle: Any, timeout: float = 15.0) -> Any:
    """The next item that is not an event (events of the handle's streams are skipped)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = handle.get(timeout=max(0.0, deadline - time.monotonic()))
        if isinstance(item, (StreamGap, StreamSilent)):
            return item
    raise AssertionError("no gap or silence report arrived in time")


def control_frames(exchange: LocalExchange, since: int = 0) -> list[tuple[str, list[str]]]:
    out = []
    for _, _, _, text in exchange.market_control_frames()[since:]:
        frame = json.loads(text)
        out.append((frame["method"], frame.get("params")))
    return out


def drain(handle: Any) -> list[Any]:
    return list(iter(lambda: handle.get(timeout=0.05), None))


# ---------------------------------------------------------------------- cadences

#: Spec §7.1: (period, published on a clock) or None (event-driven), for each builder's name.
EXPECTED = {
    "btcusdt@aggTrade": None,
    "btcusdt@trade": None,
    "!forceOrder@arr": None,
    "!miniTicker@arr": (1.0, False),
    "!ticker@arr": (1.0, False),
    "!assetIndex@arr": (1.0, True),
    "defiusdt@compositeIndex": (1.0, True),
    "btcusdt_perpetual@continuousKline_1m": (0.25, False),
    "!contractInfo": None,
    "ethusdt@miniTicker": (2.0, False),
    "ethusdt@ticker": (2.0, False),
    "btcusdt@kline_1M": (0.25, False),
    "btcusdt@forceOrder": None,
    "btcusdt@markPrice": (3.0, True),
    "btcusdt@markPrice@1s": (1.0, True),
    "!markPrice@arr": (3.0, True),
    "!markPrice@arr@1s": (1.0, True),
    "tradingSession": (1.0, True),
    "!bookTicker": (5.0, False),
    "btcusdt@depth": None,
    "btcusdt@depth@100ms": None,
    "bnbusdt@bookTicker": None,
    "btcusdt@depth5": (0.25, False),
    "btcusdt@depth10@100ms": (0.1, False),
    "btcusdt@depth20@500ms": (0.5, False),
    "btcusdt@rpiDepth@500ms": None,
    "btcusdt@assetIndex": (1.0, True),
}


def test_every_stream_knows_its_documented_cadence():
    names = {name for _, name, _, _ in CASES}
    assert names <= set(EXPECTED), names - set(EXPECTED)
    for name, expected in EXPECTED.items():
        cadence = parse_stream_name(name).cadence  # raw names and builders alike
        got = None if cadence is None else (cadence.period, cadence.regular)
        assert got == expected, name
    for build, name, _, _ in CASES:
        builder = build()
        declared = type(builder).cadence
        assert (declared and declared.of(name)) == parse_stream_name(name).cadence
        assert "Cadence:" in (type(builder).__doc__ or "")
    # Every builder declares it (event-driven ones as None), none is forgotten.
    assert {cls.__name__ for cls in StreamRequest.registry.values()} >= {
        type(build()).__name__ for build, _, _, _ in CASES
    }


# ---------------------------------------------------------------------- the local exchange


def test_the_exchange_stalls_one_stream_while_its_socket_and_the_others_go_on(exchange):
    path = "/market/stream?streams=btcusdt@aggTrade/ethusdt@aggTrade"
    ws = websocket.create_connection(f"{exchange.streams_url}{path}", timeout=10)
    try:
        assert exchange.faults.stall_stream("btcusdt@aggTrade", heal="subscribe") == 1
        assert exchange.publish("btcusdt@aggTrade", TRADE) == 0  # stalled
        assert exchange.publish("ethusdt@aggTrade", dict(TRADE, s="ETHUSDT")) == 1
        assert json.loads(ws.recv())["stream"] == "ethusdt@aggTrade"
        assert exchange.market.stalled_frames["btcusdt@aggTrade"] == 1
        # "subscribe": a SUBSCRIBE of that name on the connection ends the stall there.
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 1}))
        assert json.loads(ws.recv()) == {"result": None, "id": 1}
        assert exchange.publish("btcusdt@aggTrade", TRADE) == 1
        # "resume": nothing but resume_stream ends it, not even a SUBSCRIBE.
        exchange.faults.stall_stream("btcusdt@aggTrade")
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 2}))
        assert json.loads(ws.recv())["stream"] == "btcusdt@aggTrade"  # the one sent before
        assert json.loads(ws.recv()) == {"result": None, "id": 2}
        assert exchange.publish("btcusdt@aggTrade", TRADE) == 0
        exchange.faults.resume_stream("btcusdt@aggTrade")
        assert exchange.publish("btcusdt@aggTrade", TRADE) == 1
        # "reconnect": the connections open now stay stalled, a new one delivers.
        exchange.faults.stall_stream("btcusdt@aggTrade", heal="reconnect")
        other = websocket.create_connection(f"{exchange.streams_url}{path}", timeout=10)
        try:
            assert exchange.publish("btcusdt@aggTrade", TRADE) == 1
            assert json.loads(other.recv())["stream"] == "btcusdt@aggTrade"
        finally:
            other.close()
        with pytest.raises(ValueError):
            exchange.faults.stall_stream("btcusdt@aggTrade", heal="later")
    finally:
        ws.close()


def test_an_acknowledged_unknown_name_never_delivers_on_the_exchange(exchange):
    ws = websocket.create_connection(f"{exchange.streams_url}/market/stream", timeout=10)
    try:
        names = ["nosuchusdt@markPrice@1s", MARK]
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": names, "id": 1}))
        assert json.loads(ws.recv()) == {"result": None, "id": 1}
        seen = [json.loads(ws.recv())["stream"] for _ in range(3)]  # three seconds of marks
        assert seen == [MARK] * 3
    finally:
        ws.close()


# ---------------------------------------------------------------------- the client


def test_a_stalled_stream_is_reported_on_its_handles_resubscribed_then_its_socket_replaced(
    exchange, streams
):
    ws = streams(**FAST)
    one = ws.subscribe([MARK])
    two = ws.market_api.mark_price_stream().symbol("BTCUSDT").update_speed("1s").execute()
    other = ws.subscribe(["btcusdt@markPrice", "btcusdt@aggTrade"])  # same socket, 3 s cadence
    assert ws.connection_count == 1
    assert isinstance(one.get(timeout=10), MarkPriceUpdate)
    before = len(exchange.market_control_frames())
    assert exchange.faults.stall_stream(MARK) == 1

    # 1. Reported on both handles of that stream: resubscribe.
    first = [next_notice(h) for h in (one, two)]
    for silent in first:
        assert isinstance(silent, StreamSilent)
        assert (silent.stream, silent.action, silent.cadence, silent.limit) == (
            MARK,
            "resubscribe",
            1.0,
            2.0,
        )
        assert silent.last is not None and silent.silent_for >= silent.limit  # never early
    wait_until(
        lambda: control_frames(exchange, before) == [("UNSUBSCRIBE", [MARK]), ("SUBSCRIBE", [MARK])]
    )
    assert ws.reconnects == 0

    # 2. Still silent: the socket is replaced (its reconnect gap reaches every handle of it).
    for handle in (one, two):
        silent = next_notice(handle)
        assert isinstance(silent, StreamSilent) and silent.action == "reconnect"
        gap = next_notice(handle)
        assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
    assert ws.reconnects == 1

    # 3. Back: a gap from its last frame first, then its events.
    exchange.faults.resume_stream(MARK)
    for handle, silent in zip((one, two), first):
        gap = next_notice(handle)
        assert isinstance(gap, StreamGap) and gap.reason == "silent"
        assert gap.start == pytest.approx(silent.last, abs=5) and gap.end >= gap.start
        assert isinstance(handle.get(timeout=10), MarkPriceUpdate)

    # The other handle of that socket saw the replacement, never a report about MARK.
    items = drain(other)
    assert not [i for i in items if isinstance(i, StreamSilent)]
    assert [i.reason for i in items if isinstance(i, StreamGap)] == ["reconnect"]


@pytest.mark.parametrize("rotation", [{}, {"rotation_interval": None}], ids=["rotating", "never"])
def test_a_stream_back_after_its_resubscription_keeps_its_socket(exchange, streams, rotation):
    """The watchdog's timer runs whether or not rotations are scheduled alongside it."""
    ws = streams(**FAST, **rotation)
    handle = ws.subscribe([MARK])
    reports: list[StreamSilent] = []
    gaps: list[StreamGap] = []
    events: list[Any] = []
    handle.on(StreamSilent, reports.append)
    handle.on(StreamGap, gaps.append)
    handle.on("message", events.append)
    wait_until(lambda: events, 10)
    exchange.faults.stall_stream(MARK, heal="subscribe")  # the resubscription heals it
    wait_until(lambda: gaps, 15)
    assert [r.action for r in reports] == ["resubscribe"]
    assert [g.reason for g in gaps] == ["silent"]
    assert ws.reconnects == 0
    assert not [e for e in events if not isinstance(e, MarkPriceUpdate)]  # "message": events


def test_a_replaced_socket_gives_its_streams_a_full_limit_again(exchange, streams):
    ws = streams(**FAST)
    name = "defiusdt@compositeIndex"  # 1 s cadence: silent after 2 s; published by the test
    handle = ws.subscribe([name])
    payload = {"e": "compositeIndex", "E": 1, "s": "DEFIUSDT", "p": "1.5", "C": "baseAsset"}
    assert exchange.publish(name, payload) == 1
    assert isinstance(handle.get(timeout=10), CompositeIndex)
    exchange.faults.stall_handshakes(3.0)  # the socket is away longer than the stream's limit
    exchange.faults.drop_connections("stream")
    gap = next_notice(handle)
    assert isinstance(gap, StreamGap) and gap.reason == "reconnect"  # not judged while away
    wait_until(lambda: exchange.publish(name, payload) == 1, 10)
    # The event, no report first: its limit started again on the new socket.
    assert isinstance(handle.get(timeout=10), CompositeIndex)
    assert not [i for i in drain(handle) if isinstance(i, StreamSilent)]


def test_an_acknowledged_name_that_never_delivers_is_reported_and_its_socket_kept(
    exchange, streams
):
    ws = streams(**FAST)
    ghost = ws.subscribe(["nosuchusdt@markPrice@1s"])  # acknowledged, never published
    live = ws.subscribe([MARK])
    first, second = next_notice(ghost), next_notice(ghost)
    assert (first.action, first.last) == ("resubscribe", None)
    assert (second.action, second.last) == ("none", None)  # reported; a new socket won't help
    assert second.silent_for > first.silent_for
    assert ws.reconnects == 0
    assert ("SUBSCRIBE", ["nosuchusdt@markPrice@1s"]) in control_frames(exchange, 2)
    assert not [i for i in drain(live) if not isinstance(i, MarkPriceUpdate)]


def test_an_event_driven_stream_is_watched_only_when_its_handle_asks(exchange, streams):
    ws = streams(**FAST)
    for bad in (0, -1, "5", True):
        with pytest.raises(InvalidRequest):
            ws.market_api.aggregate_trade_streams().symbol("BTCUSDT").execute(silence_timeout=bad)
    assert exchange.market_control_frames() == []  # nothing sent
    trades = ws.market_api.aggregate_trade_streams().symbol("BTCUSDT").execute(silence_timeout=0.5)
    quiet = ws.public_api.individual_symbol_book_ticker_streams().symbol("BTCUSDT").execute()
    assert exchange.publish("btcusdt@aggTrade", TRADE) == 1
    assert isinstance(trades.get(timeout=10), AggregateTrade)
    silent = next_notice(trades)
    assert (silent.stream, silent.action, silent.cadence, silent.limit) == (
        "btcusdt@aggTrade",
        "resubscribe",
        None,
        0.5,
    )
    wait_until(lambda: exchange.publish("btcusdt@aggTrade", TRADE) == 1, 10)
    gap: Optional[Any] = next_notice(trades)
    while isinstance(gap, StreamSilent):  # more steps may come before the trade arrives
        gap = next_notice(trades)
    assert isinstance(gap, StreamGap)
    if gap.reason == "reconnect":
        gap = next_notice(trades)
    assert gap.reason == "silent"
    assert isinstance(trades.get(timeout=10), AggregateTrade)
    # Not watched: a book that does not change is not a fault.
    assert not [i for i in drain(quiet) if isinstance(i, (StreamSilent, StreamGap))]


def test_many_silent_streams_are_repaired_in_batches_within_the_pacing(exchange, streams):
    # 5 control frames a second at most, plus up to two pongs to the exchange's pings.
    exchange.market.max_incoming_per_second = 7
    ws = streams(**FAST, max_streams_per_subscribe=4)
    names = [f"ghost{i}usdt@markPrice@1s" for i in range(24)]
    handle = ws.subscribe(names)
    before = len(exchange.market_control_frames())
    reports = [next_notice(handle, 20) for _ in names]
    assert sorted(r.stream for r in reports) == sorted(names)
    assert {r.action for r in reports} == {"resubscribe"}
    wait_until(lambda: len(exchange.market_control_frames()) >= before + 12, 15)
    frames = exchange.market_control_frames()[before:]
    sent = control_frames(exchange, before)
    # One batch: every name unsubscribed, then subscribed, 4 a frame: 12 frames, not 48.
    assert [m for m, _ in sent] == ["UNSUBSCRIBE"] * 6 + ["SUBSCRIBE"] * 6
    assert sorted(n for m, p in sent if m == "SUBSCRIBE" for n in p) == sorted(names)
    times = [t for _, _, t, _ in exchange.market_control_frames()]
    assert all(sum(1 for u in times if t <= u < t + 1.0) <= 5 for t in times)
    assert len(frames) == 12
    assert ws.connection_count == 1 and ws.reconnects == 0  # no 1008
    assert len(ws.list_subscriptions()) == 24


def test_the_watchdog_sleeps_until_a_stream_is_due(exchange, streams):
    ws = streams(**FAST)
    wakes: list[float] = []
    check = ws._supervisor._on_timer

    def counting(now: float) -> Any:
        wakes.append(now)
        return check(now)

    ws._supervisor._on_timer = counting
    handle = ws.subscribe([MARK])
    deadline = 3
    got = [handle.get(timeout=10) for _ in range(deadline)]  # three seconds of marks
    assert all(isinstance(g, MarkPriceUpdate) for g in got)
    # A healthy 1 s stream with a 2 s limit: one wake-up per frame or so, never a busy loop.
    assert 1 <= len(wakes) <= 10
