"""The local exchange's live market (its own order flow), margin checks, one time per fill and
fills with ``replenish_book`` on the depth stream — over real loopback sockets."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from decimal import Decimal
from typing import Any, Callable

import pytest
import websocket

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
)
from binance_usdm_ws.testing import LocalExchange
from binance_usdm_ws.testing._flow import MarketFlow
from binance_usdm_ws.testing._trading import Engine

from .test_local_exchange import call, close, connect, place


def stream(ex: LocalExchange, route: str, names: list[str]) -> websocket.WebSocket:
    url = f"{ex.streams_url}/{route}/stream?streams={'/'.join(names)}"
    return websocket.create_connection(url, timeout=10)


def frames(ws: websocket.WebSocket, seconds: float) -> list[dict[str, Any]]:
    """Every frame received within ``seconds``."""
    out = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ws.settimeout(left)
        try:
            out.append(json.loads(ws.recv()))
        except websocket.WebSocketTimeoutException:
            break
    return out


def frames_until(
    ws: websocket.WebSocket, done: Callable[[list[dict[str, Any]]], bool], limit: float = 30.0
) -> list[dict[str, Any]]:
    """Every frame received until ``done(frames)`` holds (bounded by ``limit`` seconds): a
    count of frames, not a time window, so a loaded machine delivering late cuts nothing off."""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + limit
    while not done(out) and (left := deadline - time.monotonic()) > 0:
        ws.settimeout(left)
        try:
            out.append(json.loads(ws.recv()))
        except websocket.WebSocketTimeoutException:
            break
    return out


def streams_seen(sockets: list[websocket.WebSocket], wanted: set[str]) -> set[str]:
    """The streams that sent a frame on any of ``sockets``, until all ``wanted`` did (or 20 s)."""
    seen: set[str] = set()
    deadline = time.monotonic() + 20
    while not wanted <= seen and time.monotonic() < deadline:
        for ws in sockets:
            seen |= {f["stream"] for f in frames(ws, 0.2)}
    return seen


def client_of(ex: LocalExchange) -> BinanceDerivativesTradingUsdsFuturesClient:
    return BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=ConfigurationWebsocketApi(
            base_path=ex.ws_api_url, api_key=ex.api_key, api_secret=ex.api_secret
        ),
        websocket_streams=ConfigurationWebsocketStreams(base_path=ex.streams_url),
    )


def test_the_default_exchange_trades_by_itself_on_every_stream():
    """LocalExchange() is live: trades, diffs, book tickers, klines, tickers and mark prices
    arrive without anyone trading; ``quiet=True`` sends no trade and no diff (like a still
    book on Binance: no diff without a change)."""
    market = ["btcusdt@aggTrade", "btcusdt@kline_1m", "btcusdt@miniTicker", "!ticker@arr"]
    market += ["btcusdt@markPrice@1s"]
    public = ["btcusdt@depth@100ms", "btcusdt@depth", "btcusdt@depth@500ms", "btcusdt@bookTicker"]
    with LocalExchange() as ex:
        wm, wp = stream(ex, "market", market), stream(ex, "public", public)
        try:
            seen = streams_seen([wm, wp], set(market) | set(public))
        finally:
            wm.close()
            wp.close()
    assert seen == set(market) | set(public)
    with LocalExchange(quiet=True) as ex:
        wp = stream(ex, "public", public)
        wm = stream(ex, "market", ["btcusdt@aggTrade", "btcusdt@kline_1m"])
        try:
            assert frames(wp, 1.0) == [] and frames(wm, 0.5) == []
        finally:
            wm.close()
            wp.close()


def test_slower_depth_speeds_merge_the_diffs_of_their_interval():
    """``@depth`` (250 ms) and ``@depth@500ms`` chain (``pu`` is the previous ``u``) and cover
    several 100 ms diffs each, ending on the same update ids."""
    names = ["btcusdt@depth@100ms", "btcusdt@depth", "btcusdt@depth@500ms"]
    with LocalExchange(seed=7) as ex:
        ws = stream(ex, "public", names)
        got: list[dict[str, Any]] = []
        try:
            while sum(f["stream"] == names[2] for f in got) < 6:
                got += frames(ws, 1.0)
        finally:
            ws.close()
    by = {n: [f["data"] for f in got if f["stream"] == n] for n in names}
    for name in names:
        events = by[name][1:]  # the first may start before the subscription
        assert len(events) >= 3, name
        for a, b in zip(events, events[1:]):
            assert b["pu"] == a["u"] and b["U"] > a["u"], name
    fast = [e["u"] for e in by["btcusdt@depth@100ms"]]
    for name in names[1:]:  # each ends where a 100 ms diff ended; some merge several
        assert {e["u"] for e in by[name][1:]} <= set(fast), name
        assert any(sum(e["U"] <= u <= e["u"] for u in fast) > 1 for e in by[name]), name


def test_a_seeded_flow_is_the_same_every_run():
    """Two engines driven by a flow with the same seed trade the same trades."""

    def run(seed: int) -> list[tuple[Any, ...]]:
        trades: list[tuple[Any, ...]] = []
        engine = Engine(lambda: 1_700_000_000_000, lambda key, payload: None)
        engine.on_trade = lambda *args: trades.append(args[:5])
        flow = MarketFlow(engine, seed)
        for _ in range(300):
            flow.step()
        return trades

    first = run(42)
    assert len(first) > 50
    assert run(42) == first
    assert run(43) != first


def test_a_live_local_order_book_equals_the_exchanges_book():
    """On the live market a local order book (snapshot + diffs) is, at its update id, the
    book the exchange published with that id, level for level."""
    with LocalExchange(seed=3) as ex:
        client = client_of(ex)
        try:
            book = client.local_order_book("BTCUSDT").wait_synced(10)
            ex.wait_for(lambda: book.last_update_id and book.last_update_id > 100, 10)
            for _ in range(5):
                snap = book.snapshot()
                published = ex.depth.book_at("BTCUSDT", snap.last_update_id)
                assert published is not None
                assert [tuple(lv) for lv in snap.bids] == published[1]
                assert [tuple(lv) for lv in snap.asks] == published[2]
                time.sleep(0.3)
        finally:
            client.close()


def test_replenish_book_publishes_the_fill_then_the_restored_level():
    """With ``replenish_book`` a fill is on the depth stream (the level shrank), and so is its
    top-up, as two chained diffs."""
    with LocalExchange(quiet=True, replenish_book=True) as ex:
        ws = stream(ex, "public", ["btcusdt@depth@100ms"])
        api = connect(ex.ws_api_url)
        try:
            assert place(api, ex, side="BUY", type="MARKET", quantity="0.4")["status"] == 200
            first, second = [f["data"] for f in frames_until(ws, lambda out: len(out) >= 2)]
        finally:
            close(api)
            ws.close()
    assert first["a"] == [["60000.10", "0.600"]]
    assert second["a"] == [["60000.10", "1.000"]] and second["pu"] == first["u"]


def fills_in(events: list[dict[str, Any]]) -> int:
    return sum(e["e"] == "TRADE_LITE" or e.get("o", {}).get("x") == "TRADE" for e in events)


def test_one_fill_has_one_transaction_time_on_every_stream():
    """A fill's ``T`` on /private (TRADE_LITE, ORDER_TRADE_UPDATE) is its trade's ``T`` on
    /market (aggTrade), for every fill of an order that sweeps many levels."""
    with LocalExchange(quiet=True) as ex:
        asks = [(Decimal("60000.1") + i, "0.001") for i in range(300)]
        ex.set_book("BTCUSDT", bids=[("59000", "1")], asks=asks)
        api = connect(ex.ws_api_url)
        key = call(api, "userDataStream.start", {"apiKey": ex.api_key})["result"]["listenKey"]
        user = websocket.create_connection(
            f"{ex.streams_url}/private/ws?listenKey={key}", timeout=10
        )
        ex.wait_for(lambda: ex.stream_connection_count == 1)  # the user data stream is live
        trades = stream(ex, "market", ["btcusdt@aggTrade"])
        try:
            assert place(api, ex, side="BUY", type="MARKET", quantity="0.300")["status"] == 200
            got = frames_until(trades, lambda out: len(out) >= 300)
            market = {f["data"]["f"]: f["data"]["T"] for f in got}
            # 300 TRADE_LITE and 300 ORDER_TRADE_UPDATE fills, after the order's NEW update.
            private = frames_until(user, lambda out: fills_in(out) >= 600)
        finally:
            for ws in (trades, user):
                ws.close()
            close(api)
    lite = {e["t"]: e["T"] for e in private if e["e"] == "TRADE_LITE"}
    fills = {e["o"]["t"]: e["o"]["T"] for e in private if e.get("o", {}).get("x") == "TRADE"}
    assert len(market) == 300
    assert lite == market and fills == market


def test_an_order_the_account_cannot_afford_is_rejected():
    """-2019 for an order whose margin exceeds what is available: nothing fills, no trade;
    an affordable one and a reduce-only one still trade."""
    with LocalExchange(quiet=True, initial_balance="1000") as ex:
        ex.set_book("BTCUSDT", bids=[("59999.9", "50")], asks=[("60000.1", "50")])
        api = connect(ex.ws_api_url)
        trades = stream(ex, "market", ["btcusdt@aggTrade"])
        try:
            # 1 BTC at 60 000 needs 3 000 USDT of margin at 20x; the account has 1 000.
            market = place(api, ex, side="BUY", type="MARKET", quantity="1")
            limit = place(
                api, ex, side="BUY", type="LIMIT", timeInForce="GTC", price="60000.1", quantity="1"
            )
            for reply in (market, limit):
                assert reply["status"] == 400
                assert reply["error"] == {"code": -2019, "msg": "Margin is insufficient."}
            assert place(api, ex, side="BUY", type="MARKET", quantity="0.2")["status"] == 200
            reply = place(api, ex, side="SELL", type="MARKET", quantity="0.2", reduceOnly="true")
            assert reply["status"] == 200
            # The stream is in order: the first trades on it are the two affordable orders'
            # (a rejected order's trade would come before them), and nothing follows.
            got = frames_until(trades, lambda out: len(out) >= 2)
            got += frames(trades, 0.5)
            assert [(f["data"]["m"], f["data"]["q"]) for f in got] == [
                (False, "0.200"),
                (True, "0.200"),
            ]
        finally:
            trades.close()
            close(api)


@pytest.mark.parametrize("quiet", [True, False], ids=["quiet", "live"])
def test_the_standalone_exchange_says_which_market_it_runs(quiet):
    args = ["--quiet"] if quiet else []
    command = [sys.executable, "-m", "binance_usdm_ws.testing", *args]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(5)]
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    market = [line for line in lines if line.startswith("Market:")]
    assert market and ("quiet" if quiet else "live") in market[0]
