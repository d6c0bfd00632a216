"""``<symbol>@trade``: served live on ``/public`` though undocumented; every fill, typed.

Over real sockets against the local exchange, which publishes a ``trade`` for every fill and,
as Binance does now and then, a placeholder priced and sized 0 for a trade id spent without a
fill (``set_trade_placeholders``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from binance_usdm_ws import (
    AggregateTrade,
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketStreams,
    DecodeError,
    Side,
    Trade,
    UnknownEvent,
    parse_stream_name,
)
from binance_usdm_ws.testing import LocalExchange

from .test_local_market import market_order
from .test_websocket_streams import streams  # noqa: F401 - the fixture

D = Decimal


def take(handle: Any, n: int) -> list[Any]:
    items = [handle.get(timeout=10) for _ in range(n)]
    assert all(item is not None for item in items), items
    return items


def test_every_fill_is_one_typed_trade_on_public(exchange: LocalExchange, streams, api):  # noqa: F811
    exchange.set_trade_placeholders(0)
    ws = streams()
    trades = ws.public_api.trade_streams().symbol("BTCUSDT").execute()
    aggs = ws.market_api.aggregate_trade_streams().symbol("BTCUSDT").execute()
    assert sorted(exchange.market_subscriptions()) == [
        ("market", ["btcusdt@aggTrade"]),
        ("public", ["btcusdt@trade"]),
    ]
    market_order(api, Side.BUY, "2.500")  # two fills: 1 at 60000.10, 1.5 at 60001.00
    got = take(trades, 2)
    assert [type(t) for t in got] == [Trade, Trade]
    assert [(t.price, t.quantity) for t in got] == [(D("60000.1"), D("1")), (D("60001"), D("1.5"))]
    assert [(t.symbol, t.trade_type, t.is_buyer_maker, t.is_placeholder) for t in got] == [
        ("BTCUSDT", "MARKET", False, False)
    ] * 2
    assert got[1].trade_id == got[0].trade_id + 1
    assert got[0].raw["e"] == "trade" and got[0].trade_time == got[0].event_time
    # one aggregate per fill here: the same trade ids
    agg = take(aggs, 2)
    assert [type(a) for a in agg] == [AggregateTrade] * 2
    assert [a.first_trade_id for a in agg] == [t.trade_id for t in got]
    assert [a.normal_quantity for a in agg] == [t.quantity for t in got]


def test_placeholders_arrive_typed_and_recognisable_by_raw_name(
    exchange: LocalExchange,
    streams,  # noqa: F811
    api,
):
    """A trade id spent without a fill arrives as a Trade priced and sized 0, in id order."""
    exchange.set_trade_placeholders(1)  # every other id
    ws = streams()
    assert parse_stream_name("btcusdt@trade").model is Trade
    handle = ws.subscribe(["btcusdt@trade"])  # a raw name routes to /public too
    assert exchange.market_subscriptions() == [("public", ["btcusdt@trade"])]
    market_order(api, Side.BUY, "2.500")
    got = take(handle, 4)
    assert [type(t) for t in got] == [Trade] * 4
    assert [t.is_placeholder for t in got] == [True, False, True, False]
    ids = [t.trade_id for t in got]
    assert ids == list(range(ids[0], ids[0] + 4))  # no id is lost: the placeholder spent it
    for placeholder in got[::2]:
        assert (placeholder.price, placeholder.quantity) == (0, 0)
        assert placeholder.trade_type == "NA" and placeholder.decode_problems == ()
    fills = [t for t in got if not t.is_placeholder]
    assert sum(t.quantity for t in fills) == D("2.5")


def test_the_default_exchange_spends_one_id_in_a_hundred(exchange: LocalExchange, streams, api):  # noqa: F811
    """By default, as measured on production (about 1 % of ids), placeholders come unasked."""
    exchange.set_book("BTCUSDT", bids=[], asks=[(f"{60000 + i}.00", "0.010") for i in range(120)])
    ws = streams()
    handle = ws.public_api.trade_streams().symbol("BTCUSDT").execute()
    market_order(api, Side.BUY, "1.200")  # 120 fills
    got = take(handle, 121)
    placeholders = [t for t in got if t.is_placeholder]
    assert len(placeholders) == 1 and placeholders[0].trade_id % 100 == 0
    assert sum(t.quantity for t in got) == D("1.2")


def test_a_placeholder_is_not_a_trade_for_is_placeholder_only_when_both_are_zero():
    base = {"e": "trade", "E": 1, "T": 1, "s": "BTCUSDT", "t": 5, "X": "MARKET", "m": False}
    from binance_usdm_ws import decode_market_event

    assert decode_market_event({**base, "p": "0", "q": "0"}).is_placeholder
    assert not decode_market_event({**base, "p": "0", "q": "0.001"}).is_placeholder
    assert not decode_market_event({**base, "p": "1.5", "q": "0"}).is_placeholder


def test_the_live_market_publishes_trades_and_placeholders_by_default():
    """The default local exchange trades by itself: @trade shows its fills and placeholders."""
    with LocalExchange(seed=7) as live:
        live.set_trade_placeholders(5)  # sooner than the default 1 in 100
        config = ConfigurationWebsocketStreams(base_path=live.streams_url)
        with BinanceDerivativesTradingUsdsFuturesClient(websocket_streams=config) as client:
            ws = client.websocket_streams
            handle = ws.public_api.trade_streams().symbol("BTCUSDT").execute()
            got: list[Trade] = []
            while not (
                any(t.is_placeholder for t in got) and sum(not t.is_placeholder for t in got) >= 3
            ):
                item = handle.get(timeout=30)
                assert isinstance(item, Trade), item
                got.append(item)
                assert len(got) < 500
    ids = [t.trade_id for t in got]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for trade in got:
        assert trade.symbol == "BTCUSDT" and trade.decode_problems == ()
        if trade.is_placeholder:
            assert trade.trade_type == "NA" and trade.trade_id % 5 == 0
        else:
            assert trade.trade_type == "MARKET" and trade.price > 0 and trade.quantity > 0


@pytest.mark.parametrize(
    "odd",
    [
        {"p": "", "q": "null"},  # placeholders of a missing value
        {"t": "12", "T": "1700000000000"},  # ints as text
        {"m": "true"},  # a bool as text
        {"p": 0, "q": 0.5},  # numbers, not text
        {"X": None, "st": "1"},
        {"p": "not a number"},  # a required field does not fit: raw, and said
        {"X": 5},  # an optional one does not fit: None, and said
    ],
)
def test_odd_trade_values_decode_as_the_converter_decides(odd: dict[str, Any]):
    """The generated fast decoder of Trade gives up on anything off the wire's usual types, and
    the result is the converter's (the test of test_stream_events, for the new model)."""
    from binance_usdm_ws import decode_market_event
    from binance_usdm_ws._core._converter import converter, decode

    payload = {"e": "trade", "E": 1, "T": 1, "s": "BTCUSDT", "t": 5, "p": "1.5", "q": "2"}
    payload.update({"m": False}, **odd)
    event = decode_market_event(payload, Trade)
    try:
        expected = converter.get_structure_hook(Trade)(payload, Trade)
    except Exception:
        try:
            expected, problems = decode(payload, Trade)
        except DecodeError as exc:  # a required field: the event arrives raw, never a None
            assert isinstance(event, UnknownEvent) and event.raw is payload
            assert list(event.decode_problems) == exc.errors and exc.errors
            return
        assert event.decode_problems == problems and problems
    assert event == expected and event.raw is payload
