"""Request builders without a socket: param conversion, rules, the registry and the samples."""

from __future__ import annotations

import inspect
import json
import re
import typing
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import pytest

import binance_usdm_ws as sdk
from binance_usdm_ws import (
    CancelAlgoOrder,
    CancelOrder,
    DepthLimit,
    InvalidRequest,
    ModifyOrder,
    NewAlgoOrder,
    NewOrder,
    OrderBook,
    OrderType,
    QueryOrder,
    Side,
    SymbolOrderBookTicker,
    SymbolPriceTicker,
    TimeInForce,
)
from binance_usdm_ws.websocket_api._api._common import CLIENT_ID
from binance_usdm_ws.websocket_api._models import BookTickerResult, PriceTickerResult
from binance_usdm_ws.websocket_api._requests import Builds, Request, Response, Security, Transport

from ._data import DATA

SAMPLES = DATA

#: Every WS API method of spec §4.1.
SPEC_METHODS = {
    "userDataStream.start",
    "userDataStream.ping",
    "userDataStream.stop",
    "order.place",
    "order.modify",
    "order.cancel",
    "order.status",
    "account.position",
    "v2/account.position",
    "algoOrder.place",
    "algoOrder.cancel",
    "account.balance",
    "v2/account.balance",
    "account.status",
    "v2/account.status",
    "depth",
    "ticker.price",
    "ticker.book",
    "session.logon",
    "session.status",
    "session.logout",
}

#: The service attributes of ``client.websocket_api`` and their classes.
SERVICES = {
    "trade_api": sdk.TradeApi,
    "account_api": sdk.AccountApi,
    "market_data_api": sdk.MarketDataApi,
    "auth_api": sdk.AuthApi,
    "user_data_streams_api": sdk.UserDataStreamsApi,
}

T = Transport()  # never called: these tests send nothing
R = TypeVar("R", bound=Request[Any])


def drop(request: R, wire: str) -> R:
    """Unset a param (tests only: builders have no public unset)."""
    request._params.pop(wire)
    return request


def limit_order() -> NewOrder:
    return (
        NewOrder(T)
        .symbol("BTCUSDT")
        .side(Side.BUY)
        .type(OrderType.LIMIT)
        .time_in_force(TimeInForce.GTC)
        .quantity(Decimal("0.010"))
        .price("60000.10")
    )


# ------------------------------------------------------------------------- param conversion


def test_fluent_setters_build_the_wire_params():
    """Setters chain, use the wire names and render values with their JSON types."""
    request = limit_order().reduce_only(False).new_client_order_id("my:id/1").recv_window(5000)
    assert request.check() == {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.010",
        "price": "60000.10",
        "reduceOnly": "false",
        "newClientOrderId": "my:id/1",
        "recvWindow": 5000,
    }


@pytest.mark.parametrize(
    "value,wire",
    [
        (Decimal("1E+1"), "10"),
        (Decimal("0.00000001"), "0.00000001"),
        (Decimal("60000.10"), "60000.10"),
        ("60000.10", "60000.10"),
        ("1e-3", "0.001"),
        (3, "3"),
    ],
)
def test_decimals_go_out_as_plain_strings(value, wire):
    """DECIMAL params are plain-notation JSON strings, never floats or exponents."""
    assert NewOrder(T).price(value)._params["price"] == wire


@pytest.mark.parametrize(
    "setter,value",
    [
        ("price", 0.1),  # floats are not exact
        ("price", "abc"),
        ("price", "NaN"),
        ("price", True),
        ("good_till_date", "1700000000000"),  # LONG must be an int
        ("good_till_date", 1.5),
        ("good_till_date", True),
        ("reduce_only", "yes"),
        ("reduce_only", 1),
        ("symbol", ""),
        ("symbol", 5),
        ("side", "buy"),  # enums are case-sensitive, like the server
        ("side", 1),
        ("type", "STOP"),  # conditional types belong to algoOrder.place
        ("type", OrderType.TAKE_PROFIT_MARKET),
        ("time_in_force", "GTE"),
        ("new_client_order_id", "has space"),
        ("new_client_order_id", "x" * 37),
        ("new_client_order_id", "é"),
    ],
)
def test_bad_values_name_the_param(setter, value):
    """A wrong type, a value outside the enum or a malformed id raises InvalidRequest at once."""
    request = NewOrder(T)
    with pytest.raises(InvalidRequest) as info:
        getattr(request, setter)(value)
    assert info.value.param == setter
    assert setter in str(info.value)
    assert request._params == {}  # nothing was recorded


def test_float_error_explains_the_fix():
    """A float price says how to pass an exact value."""
    with pytest.raises(InvalidRequest, match="Decimal"):
        NewOrder(T).quantity(0.1)


def test_enums_accept_members_and_strings():
    """An enum param takes the member or its wire string; a subset rejects other members."""
    assert NewOrder(T).side("SELL").type("MARKET")._params == {"side": "SELL", "type": "MARKET"}
    assert NewAlgoOrder(T).time_in_force("IOC")._params == {"timeInForce": "IOC"}
    with pytest.raises(InvalidRequest, match="GTX"):
        NewAlgoOrder(T).time_in_force(TimeInForce.GTX)


@pytest.mark.parametrize("value", [5, DepthLimit.LIMIT_1000, 500])
def test_depth_limit_accepts_the_documented_values(value):
    """``limit`` is a JSON integer among 5, 10, 20, 50, 100, 500, 1000."""
    wire = OrderBook(T).symbol("BTCUSDT").limit(value).check()["limit"]
    assert wire == int(value) and type(wire) is int


@pytest.mark.parametrize("value", [7, "5", 5.0, True])
def test_depth_limit_rejects_others(value):
    """Another number, a string, a float or a bool is refused, naming ``limit``."""
    with pytest.raises(InvalidRequest) as info:
        OrderBook(T).limit(value)
    assert info.value.param == "limit"


def test_request_id_rules():
    """The id is an int or a string of 1 to 36 characters."""
    assert NewOrder(T).id(7)._id == 7
    for bad in ("", "x" * 37, 1.5, True, None):
        with pytest.raises(InvalidRequest):
            NewOrder(T).id(bad)


# ---------------------------------------------------------------------------------- rules


def fails(request: Request[Any]) -> str:
    with pytest.raises(InvalidRequest) as info:
        request.check()
    assert info.value.param is not None
    return info.value.param


@pytest.mark.parametrize("cls", [CancelOrder, QueryOrder])
def test_one_order_needs_an_id(cls):
    """Cancel and query need order_id or orig_client_order_id besides the symbol."""
    assert fails(cls(T)) == "symbol"
    assert fails(cls(T).symbol("BTCUSDT")) == "order_id"
    assert cls(T).symbol("BTCUSDT").order_id(1).check() == {"symbol": "BTCUSDT", "orderId": 1}
    assert cls(T).symbol("BTCUSDT").orig_client_order_id("c").check()["origClientOrderId"] == "c"


def test_modify_needs_side_quantity_price_and_an_id():
    """order.modify requires symbol, side, quantity, price and one of the two ids."""
    request = ModifyOrder(T).symbol("BTCUSDT").side("BUY").quantity("1")
    assert fails(request) == "price"
    assert fails(request.price("100")) == "order_id"
    assert request.orig_client_order_id("abc").check()["origClientOrderId"] == "abc"


@pytest.mark.parametrize(
    "build,param",
    [
        (lambda: NewOrder(T).symbol("BTCUSDT").side("BUY"), "type"),
        (lambda: NewOrder(T).symbol("BTCUSDT").type("LIMIT"), "side"),
        (lambda: drop(limit_order(), "timeInForce"), "time_in_force"),
        (lambda: drop(limit_order(), "quantity"), "quantity"),
        (lambda: drop(limit_order(), "price"), "price"),
        (lambda: limit_order().price_match("QUEUE"), "price_match"),
        (lambda: limit_order().time_in_force("GTD"), "good_till_date"),
        (lambda: NewOrder(T).symbol("BTCUSDT").side("SELL").type("MARKET"), "quantity"),
    ],
)
def test_new_order_rules(build, param):
    """LIMIT needs tif, quantity and a price (or price_match, not both); MARKET a quantity."""
    assert fails(build()) == param


def test_new_order_valid_combinations():
    """price_match replaces price on LIMIT; GTD with good_till_date; MARKET with quantity."""
    matched = drop(limit_order(), "price").price_match("OPPONENT").check()
    assert matched["priceMatch"] == "OPPONENT" and "price" not in matched
    gtd = limit_order().time_in_force("GTD").good_till_date(1_900_000_000_000).check()
    assert gtd["timeInForce"] == "GTD" and gtd["goodTillDate"] == 1_900_000_000_000
    market = NewOrder(T).symbol("BTCUSDT").side("SELL").type("MARKET").quantity(1).check()
    client_id = market.pop("newClientOrderId")  # the SDK gives every order an id
    assert market == {"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "1"}
    assert re.fullmatch(r"[.A-Z:/a-z0-9_-]{1,36}", client_id)


def test_algo_rules():
    """algoOrder.place needs its four params; close-all excludes quantity and reduce_only."""
    base = NewAlgoOrder(T).algo_type("CONDITIONAL").symbol("BTCUSDT").side("SELL")
    assert fails(base) == "type"
    base.type("STOP_MARKET").trigger_price("59000")
    assert fails(base.close_position(True).quantity("1")) == "quantity"
    assert base.close_position("false").check()["closePosition"] == "false"
    assert fails(drop(base.close_position(True), "quantity").reduce_only(True)) == "reduce_only"
    assert fails(drop(base, "reduceOnly").price("1").price_match("QUEUE")) == "price_match"
    assert fails(CancelAlgoOrder(T)) == "algo_id"
    assert CancelAlgoOrder(T).client_algo_id("a").check() == {"clientAlgoId": "a"}


# ------------------------------------------------------------------------------- registry


def test_every_spec_method_has_one_builder():
    """The registry holds exactly the methods of spec §4.1, one builder class each."""
    assert set(Request.registry) == SPEC_METHODS
    assert len({cls.__name__ for cls in Request.registry.values()}) == len(SPEC_METHODS)


def test_every_builder_is_reachable_from_its_service():
    """Each builder is returned by exactly one service method, which builds a fresh one."""
    found: dict[str, str] = {}
    for service_name, service_cls in SERVICES.items():
        service = service_cls(T)
        for name, _ in inspect.getmembers(service_cls):
            if name.startswith("_"):
                continue
            built = getattr(service, name)()
            assert isinstance(built, Request)
            assert built is not getattr(service, name)()
            assert built.method not in found, built.method
            found[built.method] = f"{service_name}.{name}"
    assert set(found) == SPEC_METHODS


#: The Go connector's request of each method (``Api<Name>Request`` built by ``<Service>.<Name>()``),
#: from binance-connector-go ``clients/derivativestradingusdsfutures/src/websocketapi/api_*.go``;
#: that client has no ``session.*`` methods, so theirs come from ``clients/spot``'s ``AuthAPI``.
GO_REQUESTS = {
    "order.place": ("TradeAPI", "NewOrder"),
    "order.modify": ("TradeAPI", "ModifyOrder"),
    "order.cancel": ("TradeAPI", "CancelOrder"),
    "order.status": ("TradeAPI", "QueryOrder"),
    "account.position": ("TradeAPI", "PositionInformation"),
    "v2/account.position": ("TradeAPI", "PositionInformationV2"),
    "algoOrder.place": ("TradeAPI", "NewAlgoOrder"),
    "algoOrder.cancel": ("TradeAPI", "CancelAlgoOrder"),
    "account.balance": ("AccountAPI", "FuturesAccountBalance"),
    "v2/account.balance": ("AccountAPI", "FuturesAccountBalanceV2"),
    "account.status": ("AccountAPI", "AccountInformation"),
    "v2/account.status": ("AccountAPI", "AccountInformationV2"),
    "depth": ("MarketDataAPI", "OrderBook"),
    "ticker.price": ("MarketDataAPI", "SymbolPriceTicker"),
    "ticker.book": ("MarketDataAPI", "SymbolOrderBookTicker"),
    "userDataStream.start": ("UserDataStreamsAPI", "StartUserDataStream"),
    "userDataStream.ping": ("UserDataStreamsAPI", "KeepaliveUserDataStream"),
    "userDataStream.stop": ("UserDataStreamsAPI", "CloseUserDataStream"),
    "session.logon": ("AuthAPI", "SessionLogon"),
    "session.status": ("AuthAPI", "SessionStatus"),
    "session.logout": ("AuthAPI", "SessionLogout"),
}


def snake(name: str) -> str:
    """``AccountInformationV2`` → ``account_information_v2``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.mark.parametrize("method", sorted(SPEC_METHODS))
def test_builder_is_named_after_the_go_request(method):
    """Builder class, service and service method carry the Go connector's names."""
    go_service, go_name = GO_REQUESTS[method]
    cls = Request.registry[method]
    assert cls.__name__ == go_name
    assert getattr(sdk, go_name) is cls  # exported under that name at the package root
    service_attr = snake(go_service.removesuffix("API")) + "_api"
    service = SERVICES[service_attr](T)
    assert type(getattr(service, snake(go_name))()) is cls


def test_result_models_are_named_name_result():
    """Every method's result model (or list item) is ``<Name>Result``; no other model is."""
    results = set()
    for cls in Request.registry.values():
        for tp in (cls.result, *typing.get_args(cls.result)):
            if isinstance(tp, type) and attrs.has(tp):
                results.add(tp)
    assert all(tp.__name__.endswith("Result") for tp in results), results
    old_names = ("OrderBookRequest", "AccountInformationRequest", "SessionStatusRequest", "Order")
    assert not [name for name in old_names if hasattr(sdk, name)]  # one name per thing
    exported = {getattr(sdk, n) for n in sdk.__all__ if n.endswith("Result")}
    assert exported == results
    nested = {sdk.PriceLevel, sdk.RateLimit, sdk.AccountAsset, sdk.AccountPosition}
    assert not nested & results


@pytest.mark.parametrize("method", sorted(SPEC_METHODS))
def test_builder_declarations(method):
    """Required params have setters, signed methods take recv_window, docs are generated."""
    cls = Request.registry[method]
    request = cls(T)
    for param in cls.params.values():
        assert callable(getattr(request, param.name))
        assert param.doc, f"{cls.__name__}.{param.name} has no doc"
    if cls.security.signed:
        assert "recv_window" in cls.params
    doc = inspect.getdoc(cls) or ""
    assert f"``{method}``" in doc and cls.security.value in doc
    assert "https://developers.binance.com/docs/" in doc
    for param in cls.params.values():
        if param.required:
            assert f"{param.name} [``{param.wire}``]" in doc
    order_methods = {"order.place", "order.modify", "order.cancel"}
    assert cls.order_method == (method in order_methods or method.startswith("algoOrder."))


def test_builds_descriptor_is_documented():
    """A service method declared with Builds has a docstring naming its wire method."""
    assert isinstance(sdk.TradeApi.__dict__["new_order"], Builds)
    assert "order.place" in (sdk.TradeApi.new_order.__doc__ or "")
    assert repr(sdk.TradeApi.__dict__["new_order"]) == "Builds(NewOrder)"


def test_rules_refer_to_declared_params():
    """A rule naming an unknown param is a TypeError when the class is made."""
    from binance_usdm_ws.websocket_api._requests import one_of

    with pytest.raises(TypeError, match="unknown params"):

        class Broken(Request[dict]):  # noqa: F841
            rules = (one_of("nope"),)


# -------------------------------------------------------------------------------- samples

# Where the docs' request examples differ from their own parameter tables (spec §4.4, §11).
DOCS_ARTEFACTS: dict[str, dict[str, Any]] = {
    # Sent by the example, absent from the parameter table: not params of the method.
    "order.modify": {"origType": None, "positionSide": None},
    # "triggerprice" is a typo of triggerPrice; numbers sent as the wrong JSON type.
    "algoOrder.place": {"triggerprice": ("triggerPrice", "120000"), "recvWindow": 99999999},
}
AUTH = {"apiKey", "timestamp", "signature"}


def sample_requests() -> list[str]:
    return sorted(p.name for p in SAMPLES.glob("ws-api.*.request.json"))


@pytest.mark.parametrize("sample", sample_requests())
def test_sample_request_is_reproduced(sample):
    """Each documented request is built by its builder with the same params and JSON types."""
    frame = json.loads((SAMPLES / sample).read_text())
    method = frame["method"]
    cls = Request.registry[method]
    expected = {k: v for k, v in frame.get("params", {}).items() if k not in AUTH}
    for key, fix in DOCS_ARTEFACTS.get(method, {}).items():
        del expected[key]
        if isinstance(fix, tuple):
            expected[fix[0]] = fix[1]
        elif fix is not None:
            expected[key] = fix
    by_wire = {p.wire: p.name for p in cls.params.values()}
    request = cls(T).id(frame["id"])
    for wire, value in expected.items():
        getattr(request, by_wire[wire])(value)
    params = request.check()
    if cls.client_id_param is not None and cls.client_id_param not in expected:
        # An order without a client order id gets one from the SDK, within the server's pattern.
        assert re.fullmatch(CLIENT_ID, params.pop(cls.client_id_param))
    assert params == expected
    assert request._id == frame["id"]
    signed = {"apiKey", "timestamp", "signature"} <= set(frame.get("params", {}))
    assert signed == cls.security.signed, method


def sample_responses() -> list[tuple[str, str]]:
    out = []
    for p in sorted(SAMPLES.glob("ws-api.*.response*.json")):
        method = p.name[len("ws-api.") :].split(".response")[0].replace("_", "/", 1)
        if method in Request.registry:
            out.append((method, p.name))
    return out


@pytest.mark.parametrize("method,sample", sample_responses())
def test_sample_response_decodes_as_the_builder_says(method, sample):
    """A builder's result_type() decodes its method's documented response."""
    raw = json.loads((SAMPLES / sample).read_text())
    request = Request.registry[method](T)
    if method.startswith("ticker.") and isinstance(raw["result"], dict):
        request._params["symbol"] = raw["result"]["symbol"]
    typed = Response(raw, request.result_type()).typed
    assert typed.result is not None and typed.id == raw["id"]
    assert typed.rate_limits is None or all(r.limit for r in typed.rate_limits)


@pytest.mark.parametrize(
    "cls,item", [(SymbolPriceTicker, PriceTickerResult), (SymbolOrderBookTicker, BookTickerResult)]
)
def test_tickers_are_a_list_without_symbol(cls, item):
    """ticker.price / ticker.book decode a list without a symbol and one object with one."""
    assert cls(T).result_type() == list[item]
    assert cls(T).symbol("BTCUSDT").result_type() is item
    one = {"symbol": "A", "price": "1", "time": 1, "lastUpdateId": 1, "bidPrice": "1"}
    one |= {"bidQty": "1", "askPrice": "2", "askQty": "1"}
    raw = {"id": 1, "status": 200, "result": [one, dict(one, symbol="B")]}
    result = Response(raw, cls(T).result_type()).result
    assert isinstance(result, list) and [r.symbol for r in result] == ["A", "B"]


def test_security_of_the_methods():
    """Security types are those of spec §3.1."""
    expected = {
        "NONE": {"depth", "ticker.price", "ticker.book", "session.status", "session.logout"},
        "USER_STREAM": {"userDataStream.start", "userDataStream.ping", "userDataStream.stop"},
        "TRADE": {
            "order.place",
            "order.modify",
            "order.cancel",
            "algoOrder.place",
            "algoOrder.cancel",
        },
        "SIGNED": {"session.logon"},
    }
    expected["USER_DATA"] = SPEC_METHODS - set().union(*expected.values())
    for security, methods in expected.items():
        for method in methods:
            assert Request.registry[method].security is Security(security), method
