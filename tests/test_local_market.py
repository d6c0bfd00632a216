"""The local exchange's market streams, over real sockets with a plain websocket-client."""

from __future__ import annotations

import json
import struct
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import websocket

from binance_usdm_ws import (
    AggregateTrade,
    BookTickerUpdate,
    DepthUpdate,
    MarkPriceUpdate,
    MarkPriceUpdates,
    OrderType,
    Side,
    TimeInForce,
    decode_market_event,
    parse_stream_name,
)
from binance_usdm_ws.testing import LocalExchange

from .test_stream_builders import CASES

DATA = Path(__file__).parent / "data"


def connect(exchange: LocalExchange, path: str) -> websocket.WebSocket:
    return websocket.create_connection(f"{exchange.streams_url}{path}", timeout=10)


def recv(ws: websocket.WebSocket) -> Any:
    return json.loads(ws.recv())


def control(ws: websocket.WebSocket, frame: dict[str, Any]) -> Any:
    ws.send(json.dumps(frame))
    return recv(ws)


def close_code(ws: websocket.WebSocket) -> int:
    """Read until the server's close frame; return its code."""
    while True:
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return int(struct.unpack("!H", data[:2])[0])


def rest(api: Any, price: str, side: Side = Side.BUY, qty: str = "0.010") -> None:
    api.trade_api.new_order().symbol("BTCUSDT").side(side).type(OrderType.LIMIT).time_in_force(
        TimeInForce.GTC
    ).quantity(qty).price(price).execute()


def market_order(api: Any, side: Side, qty: str) -> None:
    api.trade_api.new_order().symbol("BTCUSDT").side(side).type(OrderType.MARKET).quantity(
        qty
    ).execute()


def test_control_messages_and_their_documented_errors(exchange):
    exchange.market.max_incoming_per_second = 100  # 15 frames here, at once
    ws = connect(exchange, "/market/ws")
    try:
        sub = {"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade", "btcusdt@depth"], "id": 1}
        assert control(ws, sub) == {"result": None, "id": 1}
        assert control(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 3}) == {
            "result": ["btcusdt@aggTrade", "btcusdt@depth"],
            "id": 3,
        }
        unsub = {"method": "UNSUBSCRIBE", "params": ["btcusdt@depth"], "id": 312}
        assert control(ws, unsub) == {"result": None, "id": 312}
        assert control(ws, {"method": "GET_PROPERTY", "params": ["combined"], "id": 2}) == {
            "result": False,
            "id": 2,
        }
        set_true = {"method": "SET_PROPERTY", "params": ["combined", True], "id": 5}
        assert control(ws, set_true) == {"result": None, "id": 5}
        assert control(ws, {"method": "GET_PROPERTY", "params": ["combined"], "id": 6})["result"]
        errors = [
            ({"method": "SUBSCRIBE", "params": ["x@aggTrade"], "id": 1.5}, 2, "unsigned"),
            ({"method": "SUBSCRIBE", "params": ["x@aggTrade"]}, 2, "unsigned"),
            ({"method": "SUBSCRIBE", "params": ["x@aggTrade"], "id": -1}, 2, "unsigned"),
            ({"method": "SUBSCRIBED", "id": 7}, 2, "unknown variant SUBSCRIBED"),
            ({"method": "SET_PROPERTY", "params": ["nope", True], "id": 8}, 0, "Unknown"),
            ({"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 9}, 1, "Boolean"),
            ({"method": "GET_PROPERTY", "params": [5], "id": 10}, 2, "must be a string"),
        ]
        for frame, code, text in errors:
            reply = control(ws, frame)
            assert reply["error"]["code"] == code and text in reply["error"]["msg"], reply
    finally:
        ws.close()


def test_aggtrade_from_the_matching_engine_in_raw_ws_mode(exchange, api):
    ws = connect(exchange, "/market/ws/btcusdt@aggTrade")
    try:
        market_order(api, Side.BUY, "0.500")  # fills against the seeded ask 60000.10
        payload = recv(ws)
        assert set(payload) >= {"e", "E", "s", "a", "p", "q", "f", "l", "T", "m"}
        trade = decode_market_event(payload, AggregateTrade)
        assert (trade.symbol, trade.price, trade.quantity) == (
            "BTCUSDT",
            Decimal("60000.1"),
            Decimal("0.5"),
        )
        assert trade.is_buyer_maker is False
    finally:
        ws.close()


def test_depth_diffs_chain_and_join_the_ws_api_snapshot(exchange, api):
    ws = connect(exchange, "/public/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker")
    try:
        rest(api, "59000.00")
        rest(api, "59500.00", qty="0.020")
        events: list[DepthUpdate] = []
        while not events or Decimal("59500") not in [lv.price for lv in events[-1].bids]:
            frame = recv(ws)
            if frame["stream"] == "btcusdt@depth@100ms":
                events.append(decode_market_event(frame, DepthUpdate))
        for a, b in zip(events, events[1:]):  # each diff continues the previous one
            assert b.previous_final_update_id == a.final_update_id
            assert b.first_update_id == a.final_update_id + 1
        last = events[-1]
        assert (last.bids[0].price, last.bids[0].quantity) == (Decimal("59500"), Decimal("0.02"))
        snapshot = api.market_data_api.order_book().symbol("BTCUSDT").execute().typed.result
        assert snapshot.last_update_id == last.final_update_id
    finally:
        ws.close()


def test_book_ticker_and_partial_depth_follow_the_top_of_the_book(exchange, api):
    ws = connect(exchange, "/public/stream?streams=btcusdt@bookTicker/btcusdt@depth5")
    try:
        rest(api, "60000.00")  # a new best bid
        seen: dict[str, Any] = {}
        while len(seen) < 2 or seen["btcusdt@bookTicker"]["data"]["b"] != "60000.00":
            frame = recv(ws)
            seen[frame["stream"]] = frame
        ticker = decode_market_event(seen["btcusdt@bookTicker"], BookTickerUpdate)
        assert (ticker.bid_price, ticker.ask_price) == (Decimal("60000.00"), Decimal("60000.1"))
        partial = decode_market_event(seen["btcusdt@depth5"], DepthUpdate)
        assert len(partial.bids) <= 5 and partial.asks[0].price == Decimal("60000.1")
    finally:
        ws.close()


def test_a_wrong_route_stream_is_acknowledged_and_stays_silent(exchange, api):
    wrong = connect(exchange, "/market/ws")
    right = connect(exchange, "/public/ws")
    try:
        for ws in (wrong, right):
            sub = {"method": "SUBSCRIBE", "params": ["btcusdt@depth"], "id": 1}
            assert control(ws, sub) == {"result": None, "id": 1}
        rest(api, "59000.00")
        assert recv(right)["e"] == "depthUpdate"
        # Anything sent to `wrong` would arrive before the answer to this request.
        listed = control(wrong, {"method": "LIST_SUBSCRIPTIONS", "id": 2})
        assert listed == {"result": ["btcusdt@depth"], "id": 2}
    finally:
        wrong.close()
        right.close()


def test_mark_prices_single_and_array(exchange):
    ws = connect(exchange, "/market/stream?streams=btcusdt@markPrice@1s/!markPrice@arr@1s")
    try:
        got: dict[str, Any] = {}
        while len(got) < 2:
            frame = recv(ws)
            got[frame["stream"]] = frame["data"]
        one = decode_market_event(got["btcusdt@markPrice@1s"], MarkPriceUpdate)
        assert one.mark_price == (Decimal("59999.9") + Decimal("60000.1")) / 2
        every = decode_market_event(got["!markPrice@arr@1s"], MarkPriceUpdates)
        assert {m.symbol for m in every.items} >= {"BTCUSDT", "ETHUSDT"}
    finally:
        ws.close()


def test_too_many_incoming_messages_closes_with_1008(exchange):
    exchange.market.max_incoming_per_second = 3
    ws = connect(exchange, "/market/ws")
    try:
        for i in range(20):
            ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}))
        assert close_code(ws) == 1008
    finally:
        ws.shutdown()


def test_pings_and_pongs_count_toward_the_incoming_limit(exchange):
    """Binance's 10 incoming messages/s include pings and pongs: text frames alone stay under
    the limit here, the pings push the socket over it."""
    exchange.market.max_incoming_per_second = 4
    ws = connect(exchange, "/market/ws")
    try:
        for i in range(3):
            assert control(ws, {"method": "LIST_SUBSCRIPTIONS", "id": i})["id"] == i
        ws.pong(b"unsolicited")
        ws.ping(b"1")
        assert close_code(ws) == 1008
    finally:
        ws.shutdown()


def test_pings_within_the_limit_are_answered(exchange):
    exchange.market.max_incoming_per_second = 4
    ws = connect(exchange, "/market/ws")
    try:
        ws.ping(b"a")
        ws.ping(b"b")
        opcode, data = ws.recv_data(control_frame=True)
        assert (opcode, data) == (websocket.ABNF.OPCODE_PONG, b"a")
        assert control(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 7}) == {"result": [], "id": 7}
    finally:
        ws.close()


def test_more_streams_than_allowed_closes_with_1008(exchange):
    exchange.market.max_streams = 3
    ws = connect(exchange, "/market/ws/a@aggTrade/b@aggTrade")
    try:
        sub = {"method": "SUBSCRIBE", "params": ["c@aggTrade"], "id": 1}
        assert control(ws, sub) == {"result": None, "id": 1}
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["d@aggTrade"], "id": 2}))
        assert close_code(ws) == 1008
    finally:
        ws.shutdown()


SAMPLE_OF = {
    "AggregateTrade": "aggTrade", "ForceOrder": "forceOrder", "MiniTicker": "miniTicker",
    "Ticker": "ticker", "AssetIndexUpdates": "assetIndex-arr", "CompositeIndex": "compositeIndex",
    "ContinuousKlineUpdate": "continuousKline", "ContractInfo": "contractInfo",
    "KlineUpdate": "kline", "MarkPriceUpdate": "markPrice", "MarkPriceUpdates": "markPrice-arr",
    "TradingSession": "tradingSession", "BookTickerUpdate": "bookTicker",
    "DepthUpdate": "depth-diff",
}  # fmt: skip


def sample_frames(name: str) -> Any:
    """The payload of a stream sample file (``stream.<name>.connector-fixture.json``)."""
    return json.loads((DATA / f"stream.{name}.connector-fixture.json").read_text())


def payload_for(model: type) -> Any:
    name = model.__name__
    if name == "Trade":  # no connector has it: a frame captured live
        return json.loads((DATA / "live" / "trade.1.json").read_text())
    if name in ("Tickers", "MiniTickers"):
        one = SAMPLE_OF[name[:-1]]
        return [json.loads((DATA / f"stream.{one}.connector-fixture.json").read_text())]
    return json.loads((DATA / f"stream.{SAMPLE_OF[name]}.connector-fixture.json").read_text())


@pytest.mark.parametrize(("build", "name", "route", "model"), CASES, ids=[c[1] for c in CASES])
def test_every_builder_stream_is_served_on_its_route_and_decodes(
    exchange, build, name, route, model
):
    """A builder's name, subscribed on its route, delivers a payload that decodes to its model."""
    assert build().stream_name() == name
    ws = connect(exchange, f"/{route.value}/stream")
    try:
        assert control(ws, {"method": "SUBSCRIBE", "params": [name], "id": 1})["result"] is None
        payload = payload_for(model)
        assert exchange.publish(name, payload) == 1
        for _ in range(100):  # the engine may publish on the same stream (mark prices, books)
            frame = recv(ws)
            assert frame["stream"] == name
            event = decode_market_event(frame, parse_stream_name(frame["stream"]).model)
            assert type(event) is model
            if event.raw == payload:
                break
        else:
            raise AssertionError("the published payload did not arrive")
    finally:
        ws.close()


def test_connector_style_string_ids_are_answered(exchange):
    """The official connectors send UUID strings as ids; they get their answer too."""
    ws = connect(exchange, "/market/stream")
    try:
        rid = "0f5e8e4a-2f6d-4c59-9d8e-4a1a5e7f3b21"
        sub = {"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": rid}
        assert control(ws, sub) == {"result": None, "id": rid}
    finally:
        ws.close()
