"""Trade and account methods over real sockets against the local exchange.

For each method: the frame as the spec shows it (wire names, JSON types, signing params),
the typed result, and an error path. Market data and session methods are in
``test_session_and_market.py``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from binance_usdm_ws import (
    AlgoStatus,
    BadRequest,
    NewOrderRespType,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    Unauthorized,
)
from binance_usdm_ws.websocket_api._models import (
    AccountBalanceResult,
    AccountInformationResult,
    AccountInformationV2Result,
    AlgoOrderCancelResult,
    AlgoOrderResult,
    OrderResult,
    PositionRiskResult,
    PositionRiskV2Result,
)

from .conftest import pem_pair, sent

SIGNING = {"apiKey", "timestamp", "signature"}


def signed_params(exchange: Any, method: str) -> dict[str, Any]:
    """The params of the last ``method`` frame, after checking the signing params."""
    params: dict[str, Any] = dict(sent(exchange, method)["params"])
    assert SIGNING <= set(params), params
    assert params.pop("apiKey") == exchange.api_key
    assert type(params.pop("timestamp")) is int
    assert isinstance(params.pop("signature"), str)
    return params


def resting_buy(api: Any, client_id: str = "rest-1") -> OrderResult:
    """Place a BUY LIMIT far below the market, so it rests; return the typed result."""
    resp = (
        api.trade_api.new_order()
        .symbol("BTCUSDT")
        .side(Side.BUY)
        .type(OrderType.LIMIT)
        .time_in_force(TimeInForce.GTC)
        .quantity(Decimal("0.010"))
        .price("59000.00")
        .new_client_order_id(client_id)
        .execute()
    )
    order: OrderResult = resp.typed.result
    return order


# ----------------------------------------------------------------------------- order.place


def test_new_order_limit_frame_and_result(exchange, api):
    """order.place: DECIMALs as strings, STRING-booleans, enum strings; an OrderResult back."""
    resp = (
        api.trade_api.new_order()
        .symbol("BTCUSDT")
        .side(Side.BUY)
        .type(OrderType.LIMIT)
        .time_in_force(TimeInForce.GTC)
        .quantity(Decimal("0.010"))
        .price(Decimal("59000.00"))
        .reduce_only(False)
        .new_client_order_id("my:order/1")
        .self_trade_prevention_mode("EXPIRE_TAKER")
        .execute()
    )
    assert signed_params(exchange, "order.place") == {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.010",
        "price": "59000.00",
        "reduceOnly": "false",
        "newClientOrderId": "my:order/1",
        "selfTradePreventionMode": "EXPIRE_TAKER",
    }
    order = resp.typed.result
    assert isinstance(order, OrderResult)
    assert order.status is OrderStatus.NEW and order.side is Side.BUY
    assert order.client_order_id == "my:order/1" and isinstance(order.order_id, int)
    assert (order.price, order.orig_qty) == (Decimal("59000.00"), Decimal("0.010"))
    assert order.time_in_force is TimeInForce.GTC and order.reduce_only is False
    kinds = {r.rate_limit_type for r in resp.typed.rate_limits or []}
    assert {"REQUEST_WEIGHT", "ORDERS"} <= {str(k) for k in kinds}


def test_new_order_market_fills(exchange, api):
    """A MARKET order with RESULT comes back FILLED."""
    resp = (
        api.trade_api.new_order()
        .symbol("BTCUSDT")
        .side("BUY")
        .type("MARKET")
        .quantity("0.005")
        .new_order_resp_type(NewOrderRespType.RESULT)
        .execute()
    )
    params = signed_params(exchange, "order.place")
    generated = params.pop("newClientOrderId")  # the SDK's own id: the order has no other
    assert params == {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "MARKET",
        "quantity": "0.005",
        "newOrderRespType": "RESULT",
    }
    order = resp.typed.result
    assert order.client_order_id == generated
    assert order is not None and order.status is OrderStatus.FILLED
    assert order.executed_qty == Decimal("0.005")


def test_new_order_crossing_limit_fills_against_the_book(exchange, api):
    """A BUY LIMIT above the best ask fills at once."""
    exchange.set_book("BTCUSDT", bids=[("59990.00", "1")], asks=[("60000.00", "1")])
    resp = (
        api.trade_api.new_order()
        .symbol("BTCUSDT")
        .side("BUY")
        .type("LIMIT")
        .time_in_force("GTC")
        .quantity("0.100")
        .price("60010.00")
        .new_order_resp_type("RESULT")
        .execute()
    )
    assert resp.result is not None and resp.result.status is OrderStatus.FILLED
    ask = api.market_data_api.symbol_order_book_ticker().symbol("BTCUSDT").execute().result
    assert ask is not None and ask.ask_qty == Decimal("0.9")


def test_new_order_rejected_by_a_filter(exchange, api):
    """A price off the tick size is rejected by the exchange (BadRequest -4014)."""
    with pytest.raises(BadRequest) as info:
        (
            api.trade_api.new_order()
            .symbol("BTCUSDT")
            .side("SELL")
            .type("LIMIT")
            .time_in_force("GTC")
            .quantity("0.010")
            .price("61000.05")
            .execute()
        )
    assert info.value.code == -4014 and not info.value.outcome_unknown


# --------------------------------------------------------- place -> status -> modify -> cancel


def test_order_lifecycle(exchange, api):
    """A resting order is queried, modified (re-priced in the book) and cancelled."""
    placed = resting_buy(api, "flow-1")
    book = api.market_data_api.order_book().symbol("BTCUSDT").limit(1000).execute().result
    assert book is not None and book.bids is not None
    assert any(level.price == Decimal("59000") for level in book.bids)

    status = api.trade_api.query_order().symbol("BTCUSDT").orig_client_order_id("flow-1").execute()
    assert signed_params(exchange, "order.status") == {
        "symbol": "BTCUSDT",
        "origClientOrderId": "flow-1",
    }
    assert status.result is not None and status.result.order_id == placed.order_id
    assert status.result.status is OrderStatus.NEW and status.result.time

    modified = (
        api.trade_api.modify_order()
        .symbol("BTCUSDT")
        .order_id(placed.order_id)
        .side(Side.BUY)
        .quantity(Decimal("0.020"))
        .price(Decimal("59500.00"))
        .modify_id(7)
        .execute()
    )
    assert signed_params(exchange, "order.modify") == {
        "symbol": "BTCUSDT",
        "orderId": placed.order_id,
        "side": "BUY",
        "quantity": "0.020",
        "price": "59500.00",
        "modifyId": 7,
    }
    assert modified.result is not None and modified.result.modify_id == 7
    assert (modified.result.price, modified.result.orig_qty) == (
        Decimal("59500"),
        Decimal("0.02"),
    )

    cancelled = api.trade_api.cancel_order().symbol("BTCUSDT").order_id(placed.order_id).execute()
    assert signed_params(exchange, "order.cancel") == {
        "symbol": "BTCUSDT",
        "orderId": placed.order_id,
    }
    assert cancelled.result is not None and cancelled.result.status is OrderStatus.CANCELED
    again = api.trade_api.query_order().symbol("BTCUSDT").order_id(placed.order_id).execute()
    assert again.result is not None and again.result.status is OrderStatus.CANCELED


def test_cancel_unknown_order(exchange, api):
    """Cancelling an order that does not exist is -2011."""
    with pytest.raises(BadRequest) as info:
        api.trade_api.cancel_order().symbol("BTCUSDT").order_id(987654).execute()
    assert info.value.code == -2011


def test_query_unknown_order(exchange, api):
    """Querying an order that does not exist is -2013."""
    with pytest.raises(BadRequest) as info:
        api.trade_api.query_order().symbol("BTCUSDT").orig_client_order_id("nope").execute()
    assert info.value.code == -2013


def test_modify_unknown_order(exchange, api):
    """Modifying an order that does not exist is -2013."""
    with pytest.raises(BadRequest) as info:
        (
            api.trade_api.modify_order()
            .symbol("BTCUSDT")
            .orig_client_order_id("nope")
            .side("SELL")
            .quantity("1")
            .price("61000")
            .execute()
        )
    assert info.value.code == -2013


# ------------------------------------------------------------------------------- positions


def test_position_information(exchange, api):
    """account.position lists PositionRiskResult items with Decimal amounts; symbol filters."""
    api.trade_api.new_order().symbol("BTCUSDT").side("BUY").type("MARKET").quantity(
        "0.010"
    ).execute()
    resp = api.trade_api.position_information().symbol("BTCUSDT").execute()
    assert signed_params(exchange, "account.position") == {"symbol": "BTCUSDT"}
    positions = resp.typed.result
    assert isinstance(positions, list) and len(positions) == 1
    assert isinstance(positions[0], PositionRiskResult)
    assert positions[0].symbol == "BTCUSDT" and positions[0].position_amt == Decimal("0.010")
    assert isinstance(positions[0].entry_price, Decimal)
    every = api.trade_api.position_information().execute().result
    assert every is not None and {p.symbol for p in every} >= {"BTCUSDT", "ETHUSDT"}
    assert signed_params(exchange, "account.position") == {}


def test_position_information_v2(exchange, api):
    """v2/account.position lists only active symbols, as PositionRiskV2Result."""
    assert api.trade_api.position_information_v2().execute().result == []
    api.trade_api.new_order().symbol("ETHUSDT").side("SELL").type("MARKET").quantity(
        "0.100"
    ).execute()
    resp = api.trade_api.position_information_v2().execute()
    assert signed_params(exchange, "v2/account.position") == {}
    positions = resp.typed.result
    assert positions is not None and [p.symbol for p in positions] == ["ETHUSDT"]
    assert isinstance(positions[0], PositionRiskV2Result)
    assert positions[0].position_amt == Decimal("-0.1")


def test_position_information_unknown_symbol(exchange, api):
    """An unknown symbol is -1121."""
    with pytest.raises(BadRequest) as info:
        api.trade_api.position_information_v2().symbol("NOPEUSDT").execute()
    assert info.value.code == -1121
    with pytest.raises(BadRequest):
        api.trade_api.position_information().symbol("NOPEUSDT").execute()


# ---------------------------------------------------------------------------- algo orders


def test_algo_order_place_and_cancel(exchange, api):
    """algoOrder.place sends STRING-booleans and a DECIMAL trigger; cancel by client id."""
    placed = (
        api.trade_api.new_algo_order()
        .algo_type("CONDITIONAL")
        .symbol("BTCUSDT")
        .side(Side.SELL)
        .type("STOP_MARKET")
        .trigger_price(Decimal("50000"))
        .close_position(True)
        .working_type("MARK_PRICE")
        .price_protect(True)
        .client_algo_id("algo-1")
        .execute()
    )
    assert signed_params(exchange, "algoOrder.place") == {
        "algoType": "CONDITIONAL",
        "symbol": "BTCUSDT",
        "side": "SELL",
        "type": "STOP_MARKET",
        "triggerPrice": "50000",
        "closePosition": "true",
        "workingType": "MARK_PRICE",
        "priceProtect": "true",
        "clientAlgoId": "algo-1",
    }
    algo = placed.typed.result
    assert isinstance(algo, AlgoOrderResult) and algo.algo_status is AlgoStatus.NEW
    assert algo.client_algo_id == "algo-1" and algo.trigger_price == Decimal("50000")
    assert algo.close_position is True and isinstance(algo.algo_id, int)

    cancelled = api.trade_api.cancel_algo_order().client_algo_id("algo-1").execute()
    assert signed_params(exchange, "algoOrder.cancel") == {"clientAlgoId": "algo-1"}
    result = cancelled.typed.result
    assert isinstance(result, AlgoOrderCancelResult)
    assert (result.algo_id, result.code, result.msg) == (algo.algo_id, "200", "success")


def test_algo_order_trailing_stop(exchange, api):
    """A trailing stop sends its callback rate and activation price as strings."""
    placed = (
        api.trade_api.new_algo_order()
        .algo_type("CONDITIONAL")
        .symbol("BTCUSDT")
        .side("SELL")
        .type("TRAILING_STOP_MARKET")
        .quantity("0.010")
        .callback_rate("1.5")
        .activate_price("61000.00")
        .execute()
    )
    params = signed_params(exchange, "algoOrder.place")
    assert (params["callbackRate"], params["activatePrice"]) == ("1.5", "61000.00")
    assert placed.result is not None and placed.result.order_type == "TRAILING_STOP_MARKET"


def test_algo_order_would_trigger_at_once(exchange, api):
    """A stop on the wrong side of the market is -2021."""
    with pytest.raises(BadRequest) as info:
        (
            api.trade_api.new_algo_order()
            .algo_type("CONDITIONAL")
            .symbol("BTCUSDT")
            .side("SELL")
            .type("STOP")
            .quantity("0.010")
            .price("70000.00")
            .trigger_price("70000.00")
            .execute()
        )
    assert info.value.code == -2021


def test_cancel_unknown_algo_order(exchange, api):
    """Cancelling an unknown algo order fails with a typed error."""
    with pytest.raises(BadRequest) as info:
        api.trade_api.cancel_algo_order().algo_id(42).execute()
    assert signed_params(exchange, "algoOrder.cancel") == {"algoId": 42}
    assert info.value.code == -2011


# -------------------------------------------------------------------------------- account


@pytest.mark.parametrize("name", ["futures_account_balance", "futures_account_balance_v2"])
def test_futures_account_balance(exchange, api, name):
    """account.balance (V1, V2) send only the signing params and give AccountBalanceResult rows."""
    resp = getattr(api.account_api, name)().execute()
    method = "account.balance" if name.endswith("balance") else "v2/account.balance"
    assert signed_params(exchange, method) == {}
    rows = resp.typed.result
    assert isinstance(rows, list) and isinstance(rows[0], AccountBalanceResult)
    usdt = next(r for r in rows if r.asset == "USDT")
    assert usdt.balance == Decimal("100000") and isinstance(usdt.available_balance, Decimal)


def test_account_information(exchange, api):
    """account.status gives totals, assets and the positions of every symbol."""
    resp = api.account_api.account_information().recv_window(10000).execute()
    assert signed_params(exchange, "account.status") == {"recvWindow": 10000}
    info = resp.typed.result
    assert isinstance(info, AccountInformationResult) and info.can_trade is True
    assert isinstance(info.total_wallet_balance, Decimal)
    assert info.positions is not None and {p.symbol for p in info.positions} >= {"BTCUSDT"}


def test_account_information_v2(exchange, api):
    """v2/account.status lists only active positions."""
    resting_buy(api)
    resp = api.account_api.account_information_v2().execute()
    assert signed_params(exchange, "v2/account.status") == {}
    info = resp.typed.result
    assert isinstance(info, AccountInformationV2Result) and info.assets
    assert info.positions is not None and [p.symbol for p in info.positions] == ["BTCUSDT"]


@pytest.mark.parametrize(
    "name",
    [
        "futures_account_balance",
        "futures_account_balance_v2",
        "account_information",
        "account_information_v2",
    ],
)
def test_account_methods_with_an_unknown_key(exchange, name, make_client):
    """An API key the exchange does not know is Unauthorized (-2015)."""
    with make_client(api_key="unknown-key") as client:
        with pytest.raises(Unauthorized) as info:
            getattr(client.websocket_api.account_api, name)().execute()
    assert info.value.code == -2015 and info.value.status == 401


# ------------------------------------------------------------------- session-authenticated


def test_logged_on_session_sends_no_key_or_signature(exchange, api):
    """After session.logon signed requests carry a timestamp only, unless asked otherwise."""
    api.auth_api.session_logon().execute()
    resting_buy(api, "session-1")
    params = sent(exchange, "order.place")["params"]
    assert "apiKey" not in params and "signature" not in params
    assert type(params["timestamp"]) is int
    balance = api.account_api.futures_account_balance().execute()
    assert balance.result
    assert set(sent(exchange, "account.balance")["params"]) == {"timestamp"}
    api.account_api.futures_account_balance().with_own_signature().execute()
    assert set(sent(exchange, "account.balance")["params"]) == SIGNING
    status = api.trade_api.query_order().symbol("BTCUSDT").orig_client_order_id("session-1")
    assert status.execute().result.client_order_id == "session-1"
    api.auth_api.session_logout().execute()
    api.account_api.futures_account_balance().execute()  # signed again after logout
    assert set(sent(exchange, "account.balance")["params"]) == SIGNING


# ------------------------------------------------------------------------------- key types


@pytest.mark.parametrize("kind", ["hmac", "rsa", "ed25519"])
def test_every_key_type_trades_end_to_end(exchange, kind, tmp_path, make_client):
    """HMAC, RSA and Ed25519 keys place, query and cancel orders, per-request signed."""
    if kind == "hmac":
        exchange.add_api_key("hmac-key", secret="s3cret")
        config: dict[str, Any] = {"api_key": "hmac-key", "api_secret": "s3cret"}
    else:
        private, public = pem_pair(kind)
        path = tmp_path / f"{kind}.pem"
        path.write_text(private)
        exchange.add_api_key(f"{kind}-key", public_key_pem=public)
        config = {"api_key": f"{kind}-key", "api_secret": None, "private_key": str(path)}
    with make_client(**config) as client:
        api = client.websocket_api
        order = resting_buy(api, f"{kind}-1")
        query = api.trade_api.query_order().symbol("BTCUSDT").order_id(order.order_id)
        queried = query.execute().result
        assert queried is not None and queried.order_id == order.order_id
        assert queried.client_order_id == f"{kind}-1" and queried.status is OrderStatus.NEW
        cancel = api.trade_api.cancel_order().symbol("BTCUSDT").order_id(order.order_id)
        result = cancel.execute().result
        assert result is not None and result.status is OrderStatus.CANCELED
        account = api.account_api.account_information_v2().execute().result
        assert account.total_wallet_balance > 0 and account.assets
    signature = sent(exchange, "order.cancel")["params"]["signature"]
    assert len(signature) == {"hmac": 64, "rsa": 344, "ed25519": 88}[kind]


# ------------------------------------------------------------------------ async and limits


def test_execute_async_gives_typed_results(exchange, api):
    """execute_async() returns a future of the same typed Response."""
    placed = resting_buy(api, "async-1")
    futures = [
        api.trade_api.query_order().symbol("BTCUSDT").order_id(placed.order_id).execute_async()
        for _ in range(3)
    ]
    results = [f.result(5).typed.result for f in futures]
    assert all(isinstance(r, OrderResult) and r.order_id == placed.order_id for r in results)


def test_order_rate_limit_is_rate_limited_not_unknown(make_client):
    """Over the ORDERS limit the exchange answers 429 -1015: RateLimited, outcome known."""
    from binance_usdm_ws import RateLimited
    from binance_usdm_ws.testing import LocalExchange

    with LocalExchange(quiet=True, enforce_rate_limits=True, order_limit_per_10s=1) as limited:
        client = make_client(
            base_path=limited.ws_api_url, api_key=limited.api_key, api_secret=limited.api_secret
        )
        resting_buy(client.websocket_api, "limit-1")
        with pytest.raises(RateLimited) as info:
            resting_buy(client.websocket_api, "limit-2")
        client.close()
    assert (info.value.status, info.value.code) == (429, -1015)
    assert not info.value.outcome_unknown


def test_strict_exchange_accepts_every_frame(make_client):
    """An exchange that rejects unknown params and wrong JSON types accepts all our frames."""
    from binance_usdm_ws.testing import LocalExchange

    with LocalExchange(quiet=True, strict_params=True) as strict:
        client = make_client(
            base_path=strict.ws_api_url, api_key=strict.api_key, api_secret=strict.api_secret
        )
        try:
            api = client.websocket_api
            test_position_information(strict, api)
            test_new_order_limit_frame_and_result(strict, api)
            test_new_order_market_fills(strict, api)
            test_order_lifecycle(strict, api)
            test_algo_order_place_and_cancel(strict, api)
            test_algo_order_trailing_stop(strict, api)
            test_account_information(strict, api)
            api.account_api.futures_account_balance_v2().execute()
            api.market_data_api.order_book().symbol("BTCUSDT").limit(10).execute()
        finally:
            client.close()
