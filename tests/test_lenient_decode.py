"""A successful reply never fails to decode because of one optional field; what did not fit is
said; a required field that does not fit fails the reply, never a None its type denies.

The rule (README, ``Response``): on a status-200 reply a value that does not fit its optional
field is ``None`` (a list item that does not fit is left out), listed in ``decode_problems`` with
its path and type, logged at WARNING without the value; ``raw`` keeps it. Placeholders
(``"null"``, ``"None"``, ``""``) in optional numbers, bools and enums are simply absent. A reply
whose shape is wrong, or whose required field (typed without ``None``) is missing or does not
fit, raises ``DecodeError`` carrying the whole reply in ``raw``.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any, Optional

import pytest

from binance_usdm_ws import OrderType, Side, TimeInForce
from binance_usdm_ws._core._converter import REQUIRED, decode, structure
from binance_usdm_ws.enums import OrderStatus
from binance_usdm_ws.errors import DecodeError
from binance_usdm_ws.websocket_api._models import (
    AccountBalanceResult,
    AlgoOrderResult,
    OrderBookResult,
    OrderResult,
    RateLimit,
)
from binance_usdm_ws.websocket_api._requests import Response


def reply(result: Any, **extra: Any) -> dict[str, Any]:
    return {"id": "r1", "status": 200, "result": result, **extra}


ORDER = {
    "orderId": 42,
    "symbol": "BTCUSDT",
    "status": "NEW",
    "clientOrderId": "c-1",
    "price": "100.5",
    "origQty": "0.010",
    "executedQty": "0",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY",
    "reduceOnly": False,
    "stopPrice": "0",
    "goodTillDate": 0,
    "updateTime": 1700000000000,
}


def test_a_field_that_does_not_fit_is_none_and_said(caplog):
    """A bad stop price on a placed order: the order arrives, stop price None, the problem named."""
    raw = reply(dict(ORDER, stopPrice="12,5", goodTillDate=[1]))
    resp: Response[OrderResult] = Response(raw, OrderResult)
    with caplog.at_level(logging.WARNING, logger="binance_usdm_ws"):
        order = resp.typed.result
    assert order is not None
    assert order.stop_price is None and order.good_till_date is None
    assert order.order_id == 42 and order.status is OrderStatus.NEW
    assert order.orig_qty == Decimal("0.010") and order.reduce_only is False
    assert sorted(resp.decode_problems) == [
        "$.result.good_till_date: expected int, got list",
        "$.result.stop_price: expected Decimal, got str",
    ]
    assert resp.raw["result"]["stopPrice"] == "12,5"  # the value as received
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "$.result.stop_price" in record.getMessage() and "'r1'" in record.getMessage()
    assert "12,5" not in record.getMessage()  # types and paths, never values


@pytest.mark.parametrize("placeholder", ["null", "None", ""])
def test_placeholders_are_absent_in_optional_non_string_fields(placeholder):
    """``"null"``, ``"None"``, ``""`` in a number, int, bool or enum field: None, no problem."""
    raw = reply(
        {
            "algoId": 7,
            "algoType": "CONDITIONAL",
            "orderType": "STOP",
            "symbol": "BTCUSDT",
            "side": "SELL",
            "algoStatus": "NEW",
            "icebergQuantity": placeholder,
            "triggerTime": placeholder,
            "reduceOnly": placeholder,
            "workingType": placeholder,
            "clientAlgoId": placeholder,
        }
    )
    resp: Response[AlgoOrderResult] = Response(raw, AlgoOrderResult)
    algo = resp.typed.result
    assert algo is not None and algo.algo_id == 7
    assert algo.iceberg_quantity is None and algo.trigger_time is None
    assert algo.reduce_only is None and algo.working_type is None
    assert algo.client_algo_id == placeholder  # a str field keeps the text as sent
    assert resp.decode_problems == ()


def test_a_list_item_that_does_not_fit_is_left_out_and_said():
    """One balance that is not an object: the others arrive, the odd one is named."""
    good = {"asset": "USDT", "balance": "10.5", "availableBalance": "1"}
    raw = reply(["oops", good, dict(good, asset="BNB", maxWithdrawAmount={"x": 1})])
    resp: Response[list[AccountBalanceResult]] = Response(raw, list[AccountBalanceResult])
    balances = resp.typed.result
    assert balances is not None
    assert [(b.asset, b.max_withdraw_amount) for b in balances] == [("USDT", None), ("BNB", None)]
    assert resp.decode_problems == (
        "$.result[0]: expected AccountBalanceResult, got str",
        "$.result[2].max_withdraw_amount: expected Decimal, got dict",
    )


def test_a_required_field_missing_in_a_list_item_fails_the_whole_reply():
    """A balance without its ``balance``: not left out (a wrong total), not None (the type says
    Decimal): the reply raises, every problem named, the whole reply in ``raw``."""
    good = {"asset": "USDT", "balance": "10.5", "availableBalance": "1"}
    raw = reply([good, {"asset": "BNB", "availableBalance": "1"}])
    resp: Response[list[AccountBalanceResult]] = Response(raw, list[AccountBalanceResult])
    with pytest.raises(DecodeError) as info:
        resp.result  # noqa: B018
    assert info.value.raw is raw and info.value.errors == [f"$.result[1].balance: {REQUIRED}"]
    with pytest.raises(DecodeError):
        resp.decode_problems  # noqa: B018 - the same decoding, the same answer


@pytest.mark.parametrize(
    "field,odd", [("price", "12,5"), ("orderId", None), ("symbol", {}), ("side", 1)]
)
def test_a_required_field_that_does_not_fit_raises_never_a_none(field, odd, caplog):
    """A required field with an odd value (or none): ``DecodeError``, paths and types only."""
    raw = reply(dict(ORDER, **{field: odd}))
    resp: Response[OrderResult] = Response(raw, OrderResult)
    with caplog.at_level(logging.WARNING, logger="binance_usdm_ws"):
        with pytest.raises(DecodeError) as info:
            resp.typed  # noqa: B018
    assert info.value.raw is raw and resp.raw is raw
    assert info.value.errors[-1].endswith(f": {REQUIRED}")
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "'r1'" in record.getMessage() and "12,5" not in record.getMessage() + str(info.value)


def test_a_bad_book_level_is_left_out_and_said_never_silently():
    """A level that is not a [price, qty] pair is left out and named; the others stay."""
    raw = reply({"lastUpdateId": 1, "bids": [["1.5", "2"], ["oops"], ["1.4", "3"]], "asks": []})
    resp: Response[OrderBookResult] = Response(raw, OrderBookResult)
    book = resp.typed.result
    assert book is not None and book.asks == []
    assert [lv.price for lv in book.bids or []] == [Decimal("1.5"), Decimal("1.4")]
    assert resp.decode_problems == ("$.result.bids[1]: expected PriceLevel, got list",)


def test_levels_both_beside_and_inside_result_use_the_inside_and_say_so():
    """A reply with differing levels in both places keeps result's own, and says so."""
    raw = reply({"lastUpdateId": 1, "bids": [["1.5", "2"]]}, bids=[["9", "9"]], asks=[["2", "1"]])
    resp: Response[OrderBookResult] = Response(raw, OrderBookResult)
    book = resp.typed.result
    assert book is not None
    assert [lv.price for lv in book.bids or []] == [Decimal("1.5")]
    assert [lv.price for lv in book.asks or []] == [Decimal("2")]
    assert resp.decode_problems == ("$.bids: also in result; the member in result was used",)


def test_only_members_the_model_declares_are_read_beside_result():
    """An unknown top-level member is not read into the result; ``status`` stays the envelope's."""
    resp: Response[OrderResult] = Response({"id": 1, "status": 200, "connectionId": 5}, OrderResult)
    with pytest.raises(DecodeError, match="has no result"):
        resp.typed  # noqa: B018 - an unknown member does not stand in for the missing result
    without = {k: v for k, v in ORDER.items() if k != "symbol"}
    lifted: Response[OrderResult] = Response(reply(without, symbol="ETHUSDT"), OrderResult)
    order = lifted.typed.result
    assert order.symbol == "ETHUSDT" and order.avg_price is None


def test_rate_limits_of_the_wrong_shape_do_not_lose_the_result():
    """``rateLimits`` that is not a list: None and said; the result is decoded."""
    resp: Response[OrderResult] = Response(reply(ORDER, rateLimits="x"), OrderResult)
    assert resp.typed.rate_limits is None and resp.typed.result is not None
    assert resp.decode_problems == ("$.rateLimits: expected a list, got str",)


@pytest.mark.parametrize("result", ["oops", 5, ["a", "b"]])
def test_a_result_of_the_wrong_shape_raises_with_raw_readable(result):
    """The overall shape raises: an order that is not an object is not an order."""
    raw = reply(result)
    resp: Response[OrderResult] = Response(raw, OrderResult)
    with pytest.raises(DecodeError) as info:
        _ = resp.typed
    assert info.value.raw is raw and resp.raw["result"] == result


def test_decode_takes_the_generated_function_when_everything_fits():
    """``decode`` of a fitting value equals the strict ``structure`` and reports nothing."""
    value, problems = decode([{"limit": 5}], list[RateLimit])
    assert problems == () and value == structure([{"limit": 5}], list[RateLimit])
    none: Optional[RateLimit] = structure(None, Optional[RateLimit])
    assert none is None


def test_strict_structure_still_raises_on_a_field():
    """``structure`` stays strict: the lenient rule is for replies and events only."""
    with pytest.raises(DecodeError) as info:
        structure(dict(ORDER, price="12,5"), OrderResult)
    assert any(e.endswith("@ $.price") for e in info.value.errors)


def test_placed_order_with_an_odd_field_over_a_real_socket(exchange, make_client):
    """The exchange places the order; its reply has an odd field: the caller gets the order."""
    client = make_client()
    exchange.faults.never_reply("order.place", process=True)  # placed; the reply is ours
    request = (
        client.websocket_api.trade_api.new_order()
        .symbol("BTCUSDT")
        .side(Side.BUY)
        .type(OrderType.LIMIT)
        .time_in_force(TimeInForce.GTC)
        .quantity("0.010")
        .price("1000")
        .new_client_order_id("odd-1")
        .id("odd-reply")
    )
    future = request.execute_async()
    exchange.wait_for(lambda: any(r.id == "odd-reply" for r in exchange.requests))
    odd = dict(ORDER, clientOrderId="odd-1", stopPrice="1,000.0", goodTillDate="soon")
    exchange.faults.send_raw(json.dumps(reply(odd) | {"id": "odd-reply"}))
    resp = future.result(5)
    order = resp.typed.result
    assert order.client_order_id == "odd-1" and order.stop_price is None
    assert sorted(resp.decode_problems) == [
        "$.result.good_till_date: expected int, got str",
        "$.result.stop_price: expected Decimal, got str",
    ]
    exchange.faults.reset()
    queried = client.websocket_api.trade_api.query_order().symbol("BTCUSDT")
    found = queried.orig_client_order_id("odd-1").execute().typed.result
    assert found is not None and found.status is OrderStatus.NEW
