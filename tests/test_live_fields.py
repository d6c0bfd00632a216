"""Fields live Binance frames carry beyond the docs samples, and 2026 rule changes.

``nq`` (aggTrade), ``ma`` (ACCOUNT_UPDATE positions), ``ps``/``st`` inside forceOrder's order,
``ia`` (ALGO_UPDATE) are typed, ``None`` when absent; two ``ALGO_UPDATE`` ``NEW`` for one algo id
are two events; ``callbackRate`` goes up to 20; ``timeInForce`` ``RPI`` is accepted. Over real
sockets against the local exchange, which produces these fields where it produces the events.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import websocket

from binance_usdm_ws import (
    AccountUpdate,
    AlgoStatus,
    AlgoUpdate,
    ConditionalOrderTriggerReject,
    ForceOrder,
    InvalidRequest,
    OrderTradeUpdate,
    Side,
    TimeInForce,
    decode_event,
    decode_market_event,
)
from binance_usdm_ws.testing import LocalExchange

from ._data import sample_event
from .test_local_exchange import scall  # a raw signed call: no SDK validation in between
from .test_streams import stream_client, take

ALGO = {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL"}


@pytest.fixture
def ex():
    with LocalExchange(quiet=True) as exchange:
        yield exchange


@pytest.fixture
def client(ex):
    with stream_client(ex) as c:
        yield c


def trailing_stop(client: Any, rate: str, **more: str) -> Any:
    builder = (
        client.websocket_api.trade_api.new_algo_order()
        .algo_type("CONDITIONAL")
        .symbol("BTCUSDT")
        .side(Side.SELL)
        .type("TRAILING_STOP_MARKET")
        .quantity("0.010")
        .callback_rate(rate)
    )
    if "activate_price" in more:
        builder = builder.activate_price(more["activate_price"])
    return builder.execute()


def first(stream: Any, kind: type, n: int = 1) -> list[Any]:
    got: list[Any] = []
    while len(got) < n:
        item = take(stream)
        if isinstance(item, kind):
            got.append(item)
    return got


def test_account_update_positions_say_their_margin_asset(ex, client):
    with client.user_data_stream() as stream:
        ex.wait_for(lambda: ex.stream_connection_count == 1)
        api = client.websocket_api
        api.trade_api.new_order().symbol("BTCUSDT").side(Side.BUY).type("MARKET").quantity(
            "0.010"
        ).execute()
        (account,) = first(stream, AccountUpdate)
    position = account.data.positions[0]
    assert position.margin_asset == "USDT"
    assert account.raw["a"]["P"][0]["ma"] == "USDT" and account.decode_problems == ()


def test_a_trailing_stop_sends_two_algo_update_new_and_both_arrive(ex, client):
    """Same algo id, both NEW, the first not activated: two events, neither dropped."""
    with client.user_data_stream() as stream:
        ex.wait_for(lambda: ex.stream_connection_count == 1)
        placed = trailing_stop(client, "15")  # above the old maximum of 10
        updates = first(stream, AlgoUpdate, 2)
        assert stream.get(timeout=0.5) is None  # and no third
    algo_id = placed.typed.result.algo_id
    assert [u.order.algo_id for u in updates] == [algo_id, algo_id]
    assert [u.order.algo_status for u in updates] == [AlgoStatus.NEW, AlgoStatus.NEW]
    assert [u.order.is_activated for u in updates] == [False, True]


def test_a_trailing_stop_with_an_activation_price_waits_not_activated(ex, client):
    with client.user_data_stream() as stream:
        ex.wait_for(lambda: ex.stream_connection_count == 1)
        trailing_stop(client, "20", activate_price="61000.00")
        (update,) = first(stream, AlgoUpdate)
        assert stream.get(timeout=0.5) is None
    assert update.order.is_activated is False and update.order.algo_status is AlgoStatus.NEW


def test_algo_updates_without_ia_decode_with_none():
    """Frames from before 2026-08-21 have no ``ia``: typed, ``None``, no problem said."""
    frame = sample_event("ALGO_UPDATE")  # the docs sample: from before ``ia``
    assert "ia" not in frame["o"]
    event = decode_event(frame)
    assert isinstance(event, AlgoUpdate) and event.order.is_activated is None
    assert event.decode_problems == ()


@pytest.mark.parametrize("rate", ["0.1", "10.5", "20", Decimal("19.99")])
def test_callback_rate_up_to_20_is_sent(ex, client, rate):
    placed = trailing_stop(client, rate)
    assert placed.typed.result.algo_status is AlgoStatus.NEW
    sent = [r for r in ex.requests if r.method == "algoOrder.place"]
    assert len(sent) == 1 and '"callbackRate":"' + str(rate) + '"' in sent[0].raw


@pytest.mark.parametrize("rate", ["20.1", "21", "0.09", "0", "-1"])
def test_callback_rate_outside_0_1_to_20_fails_before_sending(ex, client, rate):
    client.websocket_api.connect()
    with pytest.raises(InvalidRequest, match="0.1 to 20") as info:
        trailing_stop(client, rate)
    assert info.value.param == "callback_rate"
    assert [r for r in ex.requests if r.method == "algoOrder.place"] == []


def test_the_local_exchange_takes_callback_rate_20_and_refuses_above():
    with LocalExchange(quiet=True) as exchange:
        ws = websocket.create_connection(exchange.ws_api_url, timeout=10)
        try:
            base = dict(ALGO, type="TRAILING_STOP_MARKET", quantity="0.010")
            ok = scall(ws, exchange, "algoOrder.place", dict(base, callbackRate="20"))
            assert ok["status"] == 200, ok
            bad = scall(ws, exchange, "algoOrder.place", dict(base, callbackRate="20.5"))
            assert bad["status"] == 400 and bad["error"]["code"] == -1130, bad
        finally:
            ws.close()


def test_rpi_time_in_force_is_accepted_and_decoded(ex, client):
    with client.user_data_stream() as stream:
        ex.wait_for(lambda: ex.stream_connection_count == 1)
        placed = (
            client.websocket_api.trade_api.new_order()
            .symbol("BTCUSDT")
            .side(Side.BUY)
            .type("LIMIT")
            .time_in_force(TimeInForce.RPI)
            .quantity("0.010")
            .price("59000.00")
            .execute()
        )
        (update,) = first(stream, OrderTradeUpdate)
    assert placed.typed.result.time_in_force is TimeInForce.RPI
    assert update.order.time_in_force is TimeInForce.RPI


def test_force_order_carries_pair_and_product_line_inside_its_order():
    order = {"s": "ILVUSDT", "S": "SELL", "o": "LIMIT", "f": "IOC", "q": "116.5", "p": "9.1",
             "ap": "9.2", "X": "FILLED", "l": "116.5", "z": "116.5", "T": 2}  # fmt: skip
    frame = {"e": "forceOrder", "E": 1, "o": dict(order, ps="ILVUSDT", st=1)}
    event = decode_market_event(frame)
    assert isinstance(event, ForceOrder) and event.decode_problems == ()
    assert (event.order.pair, event.order.st) == ("ILVUSDT", 1)
    older = decode_market_event({"e": "forceOrder", "E": 1, "o": order})
    assert isinstance(older, ForceOrder) and older.decode_problems == ()
    assert (older.order.pair, older.order.st) == (None, None)


def test_conditional_order_trigger_reject_still_decodes_and_says_it_is_deprecated():
    frame = {"e": "CONDITIONAL_ORDER_TRIGGER_REJECT", "E": 1, "T": 1,
             "or": {"s": "BTCUSDT", "i": 5, "r": "Reduce only reject"}}  # fmt: skip
    event = decode_event(frame)
    assert isinstance(event, ConditionalOrderTriggerReject) and event.reject.order_id == 5
    doc = ConditionalOrderTriggerReject.__doc__ or ""
    assert "Deprecated" in doc and "2025-12-15" in doc and "AlgoUpdate" in doc
