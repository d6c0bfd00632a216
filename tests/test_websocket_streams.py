"""client.websocket_streams against the local exchange, over real sockets."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Callable

import pytest

from binance_usdm_ws import (
    AggregateTrade,
    BinanceDerivativesTradingUsdsFuturesClient,
    BookTickerUpdate,
    ClientClosed,
    ConfigurationWebsocketStreams,
    InvalidRequest,
    MarkPriceUpdate,
    RequestTimeout,
    StreamGap,
    SubscriptionRejected,
    WebsocketStreams,
)
from binance_usdm_ws.testing import LocalExchange

from ._data import sample_event
from .conftest import wait_until
from .test_local_market import payload_for, sample_frames
from .test_stream_builders import CASES

TRADE = {"e": "aggTrade", "E": 1, "s": "BTCUSDT", "a": 1, "p": "60000.1", "q": "0.5", "T": 1}
TRADE |= {"f": 1, "l": 1, "m": False}  # every field of aggTrade


@pytest.fixture
def streams(exchange: LocalExchange) -> Iterator[Callable[..., WebsocketStreams]]:
    """Factory of ``client.websocket_streams`` on the local exchange (no WS API at all)."""
    clients: list[BinanceDerivativesTradingUsdsFuturesClient] = []

    def make(**overrides: Any) -> WebsocketStreams:
        options: dict[str, Any] = dict(base_path=exchange.streams_url, reconnect_delay=0.05)
        options.update(overrides)
        config = ConfigurationWebsocketStreams(**options)
        client = BinanceDerivativesTradingUsdsFuturesClient(websocket_streams=config)
        clients.append(client)
        return client.websocket_streams

    yield make
    for client in clients:
        client.close()


def subscribes(exchange: LocalExchange) -> list[list[str]]:
    return [
        json.loads(text)["params"]
        for _, _, _, text in exchange.market_control_frames()
        if json.loads(text)["method"] == "SUBSCRIBE"
    ]


@pytest.mark.parametrize(("build", "name", "route", "model"), CASES, ids=[c[1] for c in CASES])
def test_each_builder_subscribes_on_its_route_and_delivers_its_typed_event(
    exchange, streams, build, name, route, model
):
    ws = streams()
    service = ws.market_api if type(build()).route.value == "market" else ws.public_api
    builder = build()
    # The same builder, bound to this client: same class, same params.
    bound = getattr(service, _method_of(type(builder).__name__))()
    bound._params = dict(builder._params)
    handle = bound.execute()
    assert exchange.market_subscriptions() == [(route.value, [name])]  # acked before return
    payload = payload_for(model)
    assert exchange.publish(name, payload) == 1
    for _ in range(100):  # the engine may publish on the same stream (mark prices, books)
        event = handle.get(timeout=5)
        assert type(event) is model
        if event.raw == payload:
            break
    else:
        raise AssertionError("the published payload did not arrive")


def _method_of(go: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in go).lstrip("_")


def test_raw_names_are_routed_one_socket_per_route(exchange, streams):
    ws = streams()
    both = ws.subscribe(["btcusdt@markPrice@1s", "ethusdt@bookTicker"])
    assert sorted(exchange.market_subscriptions()) == [
        ("market", ["btcusdt@markPrice@1s"]),
        ("public", ["ethusdt@bookTicker"]),
    ]
    assert sorted(ws.list_subscriptions()) == ["btcusdt@markPrice@1s", "ethusdt@bookTicker"]
    payload = sample_frames("bookTicker")
    exchange.publish("ethusdt@bookTicker", payload)
    items = [both.get(timeout=5) for _ in range(1)]
    while items[-1].raw != payload:  # mark prices of the engine may come first
        items.append(both.get(timeout=5))
    assert isinstance(items[-1], BookTickerUpdate)
    assert all(isinstance(i, (BookTickerUpdate, MarkPriceUpdate)) for i in items)


def test_bad_names_and_params_send_nothing_and_open_nothing(exchange, streams):
    ws = streams()
    for bad in (["BTCUSDT@aggTrade"], ["btcusdt@depth@1000ms"], ["ok@aggTrade", "nope"], []):
        with pytest.raises(InvalidRequest):
            ws.subscribe(bad)
    with pytest.raises(InvalidRequest):
        ws.subscribe("btcusdt@aggTrade")  # a str, not a list
    with pytest.raises(InvalidRequest):
        ws.public_api.diff_book_depth_streams().symbol("btcusdt").update_speed("1s").execute()
    with pytest.raises(InvalidRequest):
        ws.market_api.kline_candlestick_streams().symbol("btcusdt").execute()  # no interval
    assert exchange.stream_connection_count == 0 and exchange.market_control_frames() == []


def test_the_ack_error_and_timeout(exchange, streams):
    ws = streams(timeout=0.5)
    exchange.market.reject.append((2, "Invalid request: something"))
    with pytest.raises(SubscriptionRejected) as info:
        ws.market_api.aggregate_trade_streams().symbol("btcusdt").execute()
    assert (info.value.code, info.value.msg) == (2, "Invalid request: something")
    exchange.market.mute.add("SUBSCRIBE")
    with pytest.raises(RequestTimeout):
        ws.market_api.aggregate_trade_streams().symbol("btcusdt").execute()
    exchange.market.mute.clear()
    handle = ws.market_api.aggregate_trade_streams().symbol("btcusdt").id(77).execute()
    frames = [json.loads(t) for _, _, _, t in exchange.market_control_frames()]
    assert all(type(f["id"]) is int and f["id"] >= 0 for f in frames)
    assert frames[-1] == {"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 77}
    assert handle.subscribed


def test_two_handles_share_one_subscription_and_unsubscribe_only_their_own(exchange, streams):
    ws = streams()
    first = ws.market_api.aggregate_trade_streams().symbol("BTCUSDT").execute()
    second = ws.subscribe(["btcusdt@aggTrade"])
    assert subscribes(exchange) == [["btcusdt@aggTrade"]]  # one SUBSCRIBE for both
    exchange.publish("btcusdt@aggTrade", TRADE)
    assert first.get(timeout=5).price == second.get(timeout=5).price == Decimal("60000.1")
    first.unsubscribe()
    methods = [json.loads(t)["method"] for _, _, _, t in exchange.market_control_frames()]
    assert "UNSUBSCRIBE" not in methods
    exchange.publish("btcusdt@aggTrade", dict(TRADE, a=2))
    assert second.get(timeout=5).aggregate_trade_id == 2
    assert first.get(timeout=0) is None  # ended: nothing more arrives
    with second:
        pass  # leaving the with block unsubscribes
    last = json.loads(exchange.market_control_frames()[-1][3])
    assert (last["method"], last["params"]) == ("UNSUBSCRIBE", ["btcusdt@aggTrade"])
    assert exchange.market_subscriptions() == [("market", [])]


def test_callbacks_message_type_and_any(exchange, streams):
    ws = streams()
    handle = ws.market_api.aggregate_trade_streams().symbol("btcusdt").execute()
    got: dict[str, list[Any]] = {"message": [], "typed": [], "any": []}
    handle.on("message", got["message"].append)
    handle.on(AggregateTrade, got["typed"].append)
    handle.on_any(got["any"].append)
    with pytest.raises(InvalidRequest):
        handle.on("open", print)
    for i in range(3):
        exchange.publish("btcusdt@aggTrade", dict(TRADE, a=i))
    wait_until(lambda: len(got["any"]) == 3)
    assert [e.aggregate_trade_id for e in got["message"]] == [0, 1, 2]
    assert got["typed"] == got["message"] == got["any"]


def test_overflow_drops_the_oldest_and_says_so(exchange, streams):
    ws = streams(queue_size=3)
    handle = ws.subscribe(["btcusdt@aggTrade"])
    for i in range(10):
        exchange.publish("btcusdt@aggTrade", dict(TRADE, a=i))
    wait_until(lambda: handle.dropped == 7)
    gap = handle.get(timeout=5)
    assert isinstance(gap, StreamGap) and (gap.reason, gap.dropped) == ("overflow", 7)
    assert [handle.get(timeout=5).aggregate_trade_id for _ in range(3)] == [7, 8, 9]


def test_sharding_at_a_lowered_limit(exchange, streams):
    ws = streams(max_streams_per_connection=3, max_streams_per_subscribe=2)
    names = [f"s{i}usdt@aggTrade" for i in range(7)]
    handle = ws.subscribe(names)
    shards = sorted(exchange.market_subscriptions(), key=lambda r: -len(r[1]))
    assert [len(s) for _, s in shards] == [3, 3, 1]
    assert sorted(n for _, s in shards for n in s) == sorted(names)
    assert ws.connection_count == 3
    exchange.publish("s6usdt@aggTrade", TRADE)
    assert handle.get(timeout=5).symbol == "BTCUSDT"


def test_600_streams_at_once_paced_under_the_limit_without_1008(exchange, streams):
    # The client's default pace (5 control frames/s) plus its pongs to the exchange's pings,
    # sent every second (pongs count too). Pings leave on time but their pongs arrive when the
    # client's reader gets to them: under load two pongs can land in one second, so the limit
    # allows two; the pace itself is checked on the exchange's clock below (<= 5 in any 1 s).
    exchange.market.max_incoming_per_second = 7
    ws = streams(max_streams_per_subscribe=50)
    names = [f"s{i}usdt@aggTrade" for i in range(600)]
    handle = ws.subscribe(names)
    frames = exchange.market_control_frames()
    assert len(frames) == 12 and ws.connection_count == 1
    times = [t for _, _, t, _ in frames]
    assert all(sum(1 for u in times if t <= u < t + 1.0) <= 5 for t in times)
    assert len(ws.list_subscriptions()) == 600  # the socket is still open: no 1008
    exchange.publish("s599usdt@aggTrade", TRADE)
    assert isinstance(handle.get(timeout=5), AggregateTrade)


def test_reconnect_resubscribes_and_puts_a_gap_first(exchange, streams):
    ws = streams()
    handle = ws.subscribe(["btcusdt@markPrice", "ethusdt@bookTicker"])
    assert exchange.faults.drop_connections("stream") == 2
    gap = handle.get(timeout=10)
    assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
    second = handle.get(timeout=10)  # one gap per socket (two routes here)
    assert isinstance(second, StreamGap) and second.reason == "reconnect"
    wait_until(lambda: exchange.publish("btcusdt@markPrice", sample_frames("markPrice")) == 1, 10)
    assert isinstance(handle.get(timeout=5), MarkPriceUpdate)
    wait_until(lambda: ws.reconnects == 2)  # the other socket may still await its ack
    assert sorted(n for _, s in exchange.market_subscriptions() for n in s) == [
        "btcusdt@markPrice",
        "ethusdt@bookTicker",
    ]


def test_close_ends_every_socket_and_handle(exchange, streams):
    ws = streams()
    handle = ws.subscribe(["btcusdt@aggTrade", "btcusdt@depth"])
    assert exchange.stream_connection_count == 2
    ws.close()
    assert handle.get(timeout=1) is None and not handle.subscribed
    wait_until(lambda: exchange.stream_connection_count == 0)
    with pytest.raises(ClientClosed):  # final: see test_closed_client.py
        ws.subscribe(["btcusdt@aggTrade"])


def test_engine_trades_arrive_typed_through_the_client(exchange, streams, api):
    ws = streams()
    trades = ws.market_api.aggregate_trade_streams().symbol("BTCUSDT").execute()
    api.trade_api.new_order().symbol("BTCUSDT").side("SELL").type("MARKET").quantity(
        "0.200"
    ).execute()
    trade = trades.get(timeout=5)
    assert (trade.price, trade.quantity, trade.is_buyer_maker) == (
        Decimal("59999.9"),
        Decimal("0.2"),
        True,
    )


def test_a_silent_socket_is_replaced_with_a_gap(exchange, streams):
    ws = streams(silence_timeout=0.4)
    handle = ws.subscribe(["btcusdt@aggTrade"])
    assert exchange.faults.silence("stream") == 1  # half-open: no frame, no pong
    gap = handle.get(timeout=10)
    assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
    wait_until(lambda: exchange.publish("btcusdt@aggTrade", TRADE) == 1, 10)
    assert isinstance(handle.get(timeout=5), AggregateTrade)


def test_rotation_is_make_before_break_without_gap_or_duplicate(exchange, streams):
    ws = streams(rotation_interval=0.5)
    handle = ws.subscribe(["btcusdt@aggTrade"])
    sent = 0
    while ws.rotations < 1 or sent < 20:  # publishes through the whole overlap
        exchange.publish("btcusdt@aggTrade", dict(TRADE, a=sent))
        sent += 1
        time.sleep(0.005)
    for _ in range(5):  # after the swap, on the new socket only
        exchange.publish("btcusdt@aggTrade", dict(TRADE, a=sent))
        sent += 1
    got = []
    while len(got) < sent:
        item = handle.get(timeout=5)
        assert item is not None and not isinstance(item, StreamGap), item
        got.append(item.aggregate_trade_id)
    assert got == list(range(sent))
    assert handle.get(timeout=0.2) is None  # and no copy after the last one
    assert ws.reconnects == 0
    assert ws.duplicates > 0  # both sockets delivered during the overlap; copies were dropped


def test_raw_fast_path_hands_over_payloads_undecoded(exchange, streams):
    ws = streams(queue_size=2)
    handle = ws.subscribe(["btcusdt@aggTrade"])
    for i in range(4):
        exchange.publish("btcusdt@aggTrade", dict(TRADE, a=i))
    wait_until(lambda: handle.dropped == 2)
    gap = handle.get_raw(timeout=5)
    assert isinstance(gap, StreamGap) and gap.dropped == 2
    assert handle.get_raw(timeout=5) == dict(TRADE, a=2)
    handle.unsubscribe()
    assert [p["a"] for p in handle.raw()] == [3]  # what was received stays readable


def test_the_readme_market_streams_snippet_runs():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "market_api" in b]
    namespace: dict[str, Any] = {}
    with LocalExchange(ping_interval=1.0, ping_timeout=3.0) as exchange:  # a live market
        code = block.replace(
            "base_path=DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_TESTNET_URL",
            f"base_path={exchange.streams_url!r}",
        )
        exec(compile(code, "README market streams", "exec"), namespace)
    assert namespace["item"] is not None  # a depth diff of the live market
    assert sorted(namespace["both"].streams) == ["btcusdt@markPrice@1s", "ethusdt@bookTicker"]


def test_a_burst_and_duplicates_arrive_in_order_and_in_full(exchange, streams):
    ws = streams(queue_size=0)
    handle = ws.subscribe(["btcusdt@aggTrade"])
    assert exchange.publish_burst("btcusdt@aggTrade", [dict(TRADE, a=i) for i in range(5000)])
    assert exchange.publish("btcusdt@aggTrade", dict(TRADE, a=5000), copies=2) == 1
    got = [handle.get(timeout=10).aggregate_trade_id for _ in range(5002)]
    assert got == [*range(5001), 5000]  # what the server sent, as sent: no silent dedupe


def test_a_listen_key_in_subscribe_goes_to_private_and_delivers_user_data(
    exchange, streams, api, caplog
):
    """``SUBSCRIBE <listenKey>`` on ``/private/stream`` (as the official connectors do), next to
    a market stream on ``/market``; the key never appears whole in a repr or a log."""
    from binance_usdm_ws import TradeLite

    key = api.user_data_streams_api.start_user_data_stream().execute().result.listen_key
    ws = streams()
    caplog.set_level("DEBUG", logger="binance_usdm_ws")
    handle = ws.subscribe([key, "btcusdt@aggTrade"])
    paths = [path for path, _ in exchange.handshakes]
    assert "/private/stream" in paths and "/market/stream" in paths
    assert not any(key in path for path in paths)  # the key went in a SUBSCRIBE, not the URL
    assert ws.connection_count == 2 and sorted(ws.list_subscriptions()) == sorted(
        [key, "btcusdt@aggTrade"]
    )
    exchange.push_event(sample_event("TRADE_LITE", E=1, T=1, t=42), key)
    exchange.publish("btcusdt@aggTrade", TRADE)
    got = [handle.get(timeout=5), handle.get(timeout=5)]
    lite = next(item for item in got if isinstance(item, TradeLite))
    assert lite.trade_id == 42 and any(isinstance(item, AggregateTrade) for item in got)
    assert key not in repr(handle) and key[:4] in repr(handle)
    assert key not in caplog.text
    handle.unsubscribe()
    assert ws.list_subscriptions() == []


def test_a_name_that_is_neither_a_stream_nor_a_listen_key_is_refused(exchange, streams):
    ws = streams()
    for name in ("abc123", "BTCUSDT", "x" * 20 + "@", "k" * 31):
        with pytest.raises(InvalidRequest):
            ws.subscribe([name])
    assert ws.connection_count == 0 and exchange.handshakes == []


def test_get_and_set_property_on_every_socket(exchange, streams):
    ws = streams()
    assert ws.get_property("combined") == []  # no socket yet, nothing asked
    ws.subscribe(["btcusdt@aggTrade", "btcusdt@bookTicker"])
    assert ws.get_property("combined") == [True, True]  # /public and /market
    ws.set_property("combined", True)
    methods = [json.loads(text)["method"] for _, _, _, text in exchange.market_control_frames()]
    assert methods.count("GET_PROPERTY") == 2 and methods.count("SET_PROPERTY") == 2
    before = len(exchange.market_control_frames())
    for call in (
        lambda: ws.set_property("combined", False),  # handles would go silent
        lambda: ws.set_property("combined", "true"),
        lambda: ws.get_property("speed"),
        lambda: ws.set_property("speed", True),
    ):
        with pytest.raises(InvalidRequest):
            call()
    assert len(exchange.market_control_frames()) == before  # refused before sending


def test_close_during_a_resubscribe_that_gets_no_answer_does_not_wait_for_it(exchange, streams):
    """The supervisor reopens a dropped socket and its SUBSCRIBE waits forever (timeout=None,
    the exchange mutes it): close() still ends that socket, and returns."""
    import threading

    ws = streams(timeout=None)
    ws.subscribe(["btcusdt@aggTrade"])
    exchange.market.mute.add("SUBSCRIBE")
    assert exchange.faults.drop_connections("stream") == 1
    wait_until(lambda: len(subscribes(exchange)) == 2, 10)  # the resubscription went out
    closer = threading.Thread(target=ws.close)
    closer.start()
    closer.join(30)  # a hang guard, not a timing: without the fix it never returns
    assert not closer.is_alive()
    wait_until(lambda: exchange.stream_connection_count == 0)
