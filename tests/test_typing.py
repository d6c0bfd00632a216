"""Typing a user can live with: a result is never ``None``, setters show their real types, and
``mypy --strict`` accepts the fluent chain as a user writes it."""

from __future__ import annotations

import inspect
import pydoc
import re
import typing
from decimal import Decimal
from pathlib import Path

import pytest

from binance_usdm_ws import (
    DecodeError,
    NewOrder,
    OrderBook,
    OrderTradeUpdate,
    QueryOrder,
    Side,
    TradeApi,
    UnknownEvent,
    decode_event,
)
from binance_usdm_ws._core._converter import REQUIRED
from binance_usdm_ws.websocket_api._requests import Request, Transport

from .conftest import wait_until
from .typecheck import mypy

T = Transport()  # never called: the setter tests send nothing


# ---------------------------------------------------------------------- a result is never None


@pytest.mark.parametrize("reply", [{"status": 200}, {"status": 200, "result": None}])
def test_success_reply_without_result_is_a_decode_error(make_client, exchange, reply):
    """A 200 reply without ``result`` raises DecodeError at ``.typed``/``.result``, never None."""
    exchange.faults.never_reply("userDataStream.stop")
    api = make_client().websocket_api.user_data_streams_api
    future = api.close_user_data_stream().id("no-result").execute_async()
    wait_until(lambda: any(r.id == "no-result" for r in exchange.requests))
    exchange.push_api({"id": "no-result", **reply})
    resp = future.result(timeout=5)
    assert resp.raw == {"id": "no-result", **reply}  # the reply itself is still readable
    with pytest.raises(DecodeError, match="has no result") as info:
        resp.typed  # noqa: B018
    assert info.value.payload == resp.raw and info.value.errors == ["$.result: missing"]
    with pytest.raises(DecodeError, match="has no result"):
        resp.result  # noqa: B018


def test_empty_result_is_a_result(make_client):
    """``userDataStream.stop`` answers ``{}``: an EmptyResult, not None."""
    api = make_client().websocket_api.user_data_streams_api
    api.start_user_data_stream().execute()
    resp = api.close_user_data_stream().execute()
    assert resp.raw["result"] == {} and type(resp.result).__name__ == "EmptyResult"


def test_event_without_its_object_arrives_raw_never_with_a_none():
    """An event's own object (``o`` of ORDER_TRADE_UPDATE) is required, so typed without None;
    an event without it arrives as an UnknownEvent saying so."""
    event = decode_event({"e": "ORDER_TRADE_UPDATE", "E": 1, "T": 1})
    assert isinstance(event, UnknownEvent) and event.decode_problems == ("$.order: " + REQUIRED,)
    hints = typing.get_type_hints(OrderTradeUpdate)
    assert type(None) not in typing.get_args(hints["order"])


# ---------------------------------------------------------------------- setters at runtime


def test_setter_signature_names_the_value_type_and_the_builder():
    """inspect.signature / help() show ``(value: <V>) -> <the builder's own class>``."""
    price = NewOrder(T).price
    signature = inspect.signature(price)
    assert list(signature.parameters) == ["value"]
    assert signature.parameters["value"].annotation == typing.Union[Decimal, str, int]
    assert signature.return_annotation is NewOrder
    assert str(signature) == (
        "(value: Union[decimal.Decimal, str, int]) -> "
        "binance_usdm_ws.websocket_api._api.trade.NewOrder"
    )
    assert typing.get_type_hints(price) == {
        "value": typing.Union[Decimal, str, int],
        "return": NewOrder,
    }
    assert (price.__name__, price.__qualname__) == ("price", "NewOrder.price")
    assert "Limit price" in (price.__doc__ or "")
    shown = pydoc.render_doc(NewOrder(T).side, renderer=pydoc.plaintext)
    assert "side(value: Union[binance_usdm_ws.enums.Side, str]) -> " in shown
    assert "Set ``side`` (required). Order side." in shown


def test_service_method_signature_names_its_builder():
    """``help(client.websocket_api.trade_api.new_order)`` shows ``new_order() -> NewOrder``."""
    new_order = TradeApi(T).new_order
    assert inspect.signature(new_order).return_annotation is NewOrder
    assert (new_order.__name__, new_order.__qualname__) == ("new_order", "TradeApi.new_order")
    shown = pydoc.render_doc(new_order, renderer=pydoc.plaintext)
    assert "new_order() -> binance_usdm_ws.websocket_api._api.trade.NewOrder" in shown


def test_inherited_setter_returns_the_subclass():
    """A param declared on a base class (recv_window, symbol) returns the concrete builder."""
    assert inspect.signature(QueryOrder(T).recv_window).return_annotation is QueryOrder
    assert inspect.signature(NewOrder(T).recv_window).return_annotation is NewOrder
    limit = inspect.signature(OrderBook(T).limit).parameters["value"].annotation
    assert Side not in typing.get_args(limit) and int in typing.get_args(limit)


@pytest.mark.parametrize("method", sorted(Request.registry))
def test_every_setter_carries_its_declared_type(method):
    """No setter of any builder shows a bare ``V`` or ``Any``: every Param declares its type."""
    cls = Request.registry[method]
    builder = cls(T)
    for name, param in cls.params.items():
        signature = inspect.signature(getattr(builder, name))
        assert signature.parameters["value"].annotation == param.value_type
        assert param.value_type is not typing.Any, f"{cls.__name__}.{name}"
        assert signature.return_annotation is cls


def test_setters_still_set_their_own_builder():
    """Bound setters stay bound to their builder; chaining returns that same builder."""
    one, two = NewOrder(T), NewOrder(T)
    assert one.price("1").symbol("A") is one
    assert two.price("2")._params == {"price": "2"} and one._params["price"] == "1"


# ---------------------------------------------------------------------- mypy --strict, as a user

USER_CODE = """
from decimal import Decimal
from typing import Optional, Union

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient, BookTickerResult, NewOrder, OrderBookResult,
    OrderResult,
    OrderType, PositionRiskResult, PriceTickerResult, Response, Side, TimeInForce,
)


def user(client: BinanceDerivativesTradingUsdsFuturesClient) -> None:
    ws = client.websocket_api
    r: Response[OrderResult] = (
        ws.trade_api.new_order().symbol("BTCUSDT").side(Side.BUY).type(OrderType.LIMIT)
        .time_in_force(TimeInForce.GTC).quantity(Decimal("0.010")).price("60000.10")
        .recv_window(5000).id("my-id").execute()
    )
    order: OrderResult = r.typed.result
    same: OrderResult = r.result
    start = ws.user_data_streams_api.start_user_data_stream().execute()
    key: Optional[str] = start.typed.result.listen_key
    depth = ws.market_data_api.order_book().symbol("BTCUSDT").limit(5)
    book: OrderBookResult = depth.execute().result
    positions: list[PositionRiskResult] = ws.trade_api.position_information().execute().result
    ticker = ws.market_data_api.symbol_price_ticker()
    tickers: list[PriceTickerResult] = ticker.execute().result
    either: Union[PriceTickerResult, list[PriceTickerResult]] = ticker.execute().result
    one: PriceTickerResult = ws.market_data_api.symbol_price_ticker().symbol("A").execute().result
    best: BookTickerResult = (
        ws.market_data_api.symbol_order_book_ticker().symbol("A").id(1).execute_async().result()
    ).result
    status: Optional[int] = r.status
    builder: NewOrder = ws.trade_api.new_order().price(Decimal("1"))
    reveal_type(ws.trade_api.new_order().price)
    reveal_type(ws.trade_api.query_order().recv_window)
"""

MISTAKES = """
from decimal import Decimal

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient, OrderResult, PriceTickerResult,
)


def user(client: BinanceDerivativesTradingUsdsFuturesClient) -> None:
    order = client.websocket_api.trade_api.new_order()
    wrong: str = order.price(Decimal("1"))  # error: a NewOrder is not a str
    order.price(0.1)  # error: no float
    missing: int = order.execute().result.no_such_field  # error: OrderResult has no such field
    book: OrderResult = client.websocket_api.market_data_api.order_book().execute().result  # error
    market = client.websocket_api.market_data_api
    every: PriceTickerResult = market.symbol_price_ticker().execute().result  # error: a list
    ticker = market.symbol_price_ticker()
    one: list[PriceTickerResult] = ticker.symbol("A").execute().result  # error: one
"""


def lines_marked(code: str, marker: str) -> list[int]:
    """The line numbers of ``code`` that contain ``marker``."""
    return [n for n, line in enumerate(code.splitlines(), 1) if marker in line]


def test_mypy_strict_accepts_the_fluent_chain_and_rejects_mistakes(tmp_path, tmp_path_factory):
    """The chain types as the builder; results are not Optional; wrong uses are errors."""
    lines = mypy(
        {"user_code.py": USER_CODE, "mistakes.py": MISTAKES},
        tmp_path,
        tmp_path_factory.getbasetemp() / "mypy-cache",
    )
    user = [line.split(": ", 1)[1] for line in lines if line.startswith("user_code.py")]
    assert user == [
        'note: Revealed type is "def (decimal.Decimal | str | int) -> '
        'binance_usdm_ws.websocket_api._api.trade.NewOrder"',
        'note: Revealed type is "def (int) -> binance_usdm_ws.websocket_api._api.trade.QueryOrder"',
    ], lines
    errors = [line.split(": error: ")[0] for line in lines if line.startswith("mistakes.py")]
    assert errors == [f"mistakes.py:{n}" for n in lines_marked(MISTAKES, "# error")], lines


# ---------------------------------------------------------------------- a user's own script

USER_SCRIPT = (Path(__file__).parent / "user_script.py").read_text()

#: Uses of fields that are Optional for a reason: each line must be a mypy error.
OPTIONAL_FOR_A_REASON = """
from binance_usdm_ws import AggregateTrade, BinanceDerivativesTradingUsdsFuturesClient


def misuse(client: BinanceDerivativesTradingUsdsFuturesClient) -> None:
    ws = client.websocket_api
    order = ws.trade_api.query_order().symbol("BTCUSDT").order_id(1).execute()
    order.result.avg_price + 1  # error: only older results and order.status send it
    order.result.activate_price * 2  # error: trailing stop orders only
    order.status + 1  # error: None if the server sent no status
    ws.market_data_api.symbol_price_ticker().execute().result.price  # error: a list
    book = client.local_order_book("BTCUSDT")
    book.best_bid().price  # error: a side may be empty
    trades = client.websocket_streams.market_api.aggregate_trade_streams().symbol("x").execute()
    trade = trades.get(timeout=5)
    if isinstance(trade, AggregateTrade):
        trade.normal_quantity * 2  # error: nq is new
"""


def test_a_users_script_with_every_service_needs_no_assert_under_mypy_strict(
    tmp_path, tmp_path_factory
):
    """The fields Binance always sends are typed without None, and the one-symbol tickers are
    typed as one: a realistic script (WS API account, trade, market data, user data streams,
    session; market and public streams, the user data stream, a local order book) passes
    ``mypy --strict`` without an assert or a cast. Fields that are Optional for a reason stay
    so: each misuse of one is an error, so the check can fail."""
    assert not re.search(r"^\s*assert\b", USER_SCRIPT, re.M) and "cast(" not in USER_SCRIPT
    for service in ("account_api", "trade_api", "market_data_api", "user_data_streams_api"):
        assert f".{service}" in USER_SCRIPT
    for part in ("auth_api", "market_api", "public_api", "user_data_stream(", "local_order_book("):
        assert part in USER_SCRIPT
    lines = mypy(
        {"user_script.py": USER_SCRIPT, "optional.py": OPTIONAL_FOR_A_REASON},
        tmp_path,
        tmp_path_factory.getbasetemp() / "mypy-cache",
    )
    assert [line for line in lines if line.startswith("user_script.py")] == [], lines
    errors = sorted(
        {
            int(line.split(":")[1])
            for line in lines
            if line.startswith("optional.py") and ": error:" in line
        }
    )
    assert errors == lines_marked(OPTIONAL_FOR_A_REASON, "# error"), lines
