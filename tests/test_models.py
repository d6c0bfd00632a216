"""Tests of the WS API result models (``_models.py``) and of the converter (``_converter.py``)."""

from __future__ import annotations

import json
import typing
from decimal import Decimal
from typing import Any, Optional, Union

import attrs
import pytest

from binance_usdm_ws._core._converter import make_converter, structure
from binance_usdm_ws.enums import (
    AlgoOrderType,
    AlgoStatus,
    MarginType,
    OrderStatus,
    OrderType,
    PositionSide,
    RateLimitInterval,
    RateLimitType,
    Side,
)
from binance_usdm_ws.errors import DecodeError
from binance_usdm_ws.websocket_api import _models as m
from binance_usdm_ws.websocket_api._models import (
    AccountBalanceResult,
    AccountInformationResult,
    AlgoOrderCancelResult,
    AlgoOrderResult,
    BookTickerResult,
    CloseUserDataStreamResponse,
    EmptyResult,
    ErrorBody,
    ListenKeyResult,
    OrderBookResult,
    OrderResult,
    PositionRiskResult,
    PriceLevel,
    PriceTickerResult,
    RateLimit,
    SessionStatusResult,
    StartUserDataStreamResponse,
    WsApiResponse,
)

from ._data import DATA

SAMPLES = DATA

STRICT = make_converter(strict=True)


def load(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def test_listen_key_samples_decode_strictly():
    """The start and ping samples decode into ListenKeyResult with every key known."""
    for name in ("start", "ping"):
        raw = load(f"ws-api.userDataStream.{name}.response.json")
        result = structure(raw["result"], ListenKeyResult, STRICT)
        assert result.listen_key == raw["result"]["listenKey"]


def test_stop_sample_decodes_to_empty():
    """The stop sample's ``{}`` decodes into EmptyResult; the lenient converter ignores extras."""
    raw = load("ws-api.userDataStream.stop.response.json")
    assert structure(raw["result"], EmptyResult, STRICT) == EmptyResult()
    assert structure({"unexpected": 1}, EmptyResult) == EmptyResult()


def test_rate_limits_decode_as_optional_list():
    """``Optional[list[RateLimit]]`` decodes the samples' rateLimits and a missing one to None."""
    raw = load("ws-api.order.place.response.json")
    limits = structure(raw["rateLimits"], Optional[list[RateLimit]], STRICT)
    assert limits is not None
    assert limits[1] == RateLimit(
        rate_limit_type=RateLimitType.ORDERS,
        interval=RateLimitInterval.SECOND,
        interval_num=10,
        limit=300,
        count=1,
    )
    assert structure(raw.get("missing"), Optional[list[RateLimit]]) is None


def test_whole_response_decodes_as_generic_alias():
    """A whole response decodes into ``StartUserDataStreamResponse`` with typed parts."""
    raw = load("ws-api.userDataStream.start.response.json")
    response = structure(raw, StartUserDataStreamResponse, STRICT)
    assert isinstance(response, WsApiResponse)
    assert response.id == raw["id"]
    assert response.status == 200
    assert response.result == ListenKeyResult(listen_key=raw["result"]["listenKey"])
    assert response.rate_limits is not None and response.rate_limits[0].limit == 2400
    stop = structure(load("ws-api.userDataStream.stop.response.json"), CloseUserDataStreamResponse)
    assert stop.result == EmptyResult()


def test_integer_request_id_is_kept():
    """An integer request id stays an int; a float id is rejected."""
    assert structure({"id": 7, "result": {}}, WsApiResponse[EmptyResult]).id == 7
    with pytest.raises(DecodeError):
        structure({"id": 7.5, "result": {}}, WsApiResponse[EmptyResult])


def test_response_without_result_does_not_decode():
    """``result`` is required: a whole response without it is a DecodeError, never a None."""
    with pytest.raises(DecodeError, match=r"\$\.result"):
        structure({"id": 7, "status": 200}, WsApiResponse[EmptyResult])


def test_unknown_enum_value_stays_a_string():
    """A rate limiter type this version does not know decodes to the raw string."""
    limit = structure({"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE"}, RateLimit)
    assert limit.rate_limit_type == "RAW_REQUESTS"
    assert not isinstance(limit.rate_limit_type, RateLimitType)
    assert limit.interval is RateLimitInterval.MINUTE


def test_price_level_decodes_from_a_pair():
    """A ``["price", "qty"]`` pair becomes an exact PriceLevel; a single value is an error."""
    assert structure(["4.00000200", "12.0"], PriceLevel) == PriceLevel(
        Decimal("4.00000200"), Decimal("12.0")
    )
    with pytest.raises(DecodeError):
        structure(["4.0"], PriceLevel)


def test_wrong_type_raises_decode_error_with_paths():
    """A wrong value raises DecodeError naming each field, with the payload and the cause."""
    payload = {"intervalNum": "ten", "limit": [1]}
    with pytest.raises(DecodeError) as info:
        structure(payload, RateLimit)
    error = info.value
    assert error.payload is payload
    assert any(e.endswith("@ $.interval_num") and "expected int" in e for e in error.errors)
    assert any(e.endswith("@ $.limit") for e in error.errors)
    assert error.__cause__ is not None


def test_non_object_payload_is_an_error():
    """A string where an object is expected is an error, not an empty model."""
    with pytest.raises(DecodeError) as info:
        structure("listenKey", ListenKeyResult)
    assert "expected an object" in info.value.errors[0]


def test_strict_converter_reports_unknown_keys():
    """The strict converter names an unknown key; the shipped one ignores it."""
    with pytest.raises(DecodeError) as info:
        structure({"listenKey": "k", "extra": 1}, ListenKeyResult, STRICT)
    assert info.value.errors == ["extra fields found (extra) @ $"]
    assert structure({"listenKey": "k", "extra": 1}, ListenKeyResult) == ListenKeyResult(
        listen_key="k"
    )


# Each WS API method's sample → the typed response the client returns for it.
RESPONSE_TYPES: dict[str, Any] = {
    "userDataStream.start": m.StartUserDataStreamResponse,
    "userDataStream.ping": m.KeepaliveUserDataStreamResponse,
    "userDataStream.stop": m.CloseUserDataStreamResponse,
    "order.place": m.NewOrderResponse,
    "order.modify": m.ModifyOrderResponse,
    "order.cancel": m.CancelOrderResponse,
    "order.status": m.QueryOrderResponse,
    "account.position": m.PositionInformationResponse,
    "v2_account.position": m.PositionInformationV2Response,
    "algoOrder.place": m.NewAlgoOrderResponse,
    "algoOrder.cancel": m.CancelAlgoOrderResponse,
    "account.balance": m.FuturesAccountBalanceResponse,
    "v2_account.balance": m.FuturesAccountBalanceV2Response,
    "account.status": m.AccountInformationResponse,
    "v2_account.status": m.AccountInformationV2Response,
    "depth": m.OrderBookResponse,
    "ticker.price": m.SymbolPriceTickerResponse,
    "ticker.book": m.SymbolOrderBookTickerResponse,
    "session.logon": m.SessionLogonResponse,
    "session.status": m.SessionStatusResponse,
    "session.logout": m.SessionLogoutResponse,
}
RESPONSE_SAMPLES = sorted(
    p.name for p in SAMPLES.glob("ws-api.*.response*.json") if not p.name.startswith("ws-api.error")
)


def method_of(sample: str) -> str:
    return sample[len("ws-api.") :].split(".response")[0]


def test_every_method_has_a_sample_and_a_type():
    """Every method of the table has a sample, and every sample's method is in the table."""
    assert len(RESPONSE_SAMPLES) >= len(RESPONSE_TYPES)
    assert {method_of(name) for name in RESPONSE_SAMPLES} == set(RESPONSE_TYPES)


@pytest.mark.parametrize("sample", RESPONSE_SAMPLES)
def test_response_sample_decodes_strictly(sample):
    """Each recorded response decodes with the strict converter: the models cover every key."""
    raw = load(sample)
    response = structure(raw, RESPONSE_TYPES[method_of(sample)], STRICT)
    assert response.id == raw["id"]
    assert response.status == raw["status"]
    if isinstance(raw["result"], list):
        assert isinstance(response.result, list) and len(response.result) == len(raw["result"])
    # The way the client builds it: result and rateLimits structured separately.
    result_type = RESPONSE_TYPES[method_of(sample)].__args__[0]
    assert structure(raw["result"], result_type, STRICT) == response.result
    limits = structure(raw.get("rateLimits"), Optional[list[RateLimit]], STRICT)
    assert limits == response.rate_limits


@pytest.mark.parametrize(
    "model",
    [
        OrderResult,
        m.PositionRiskResult,
        m.PositionRiskV2Result,
        AlgoOrderResult,
        AlgoOrderCancelResult,
        AccountBalanceResult,
        AccountInformationResult,
        m.AccountInformationV2Result,
        m.AccountAsset,
        m.AccountPosition,
        m.AccountPositionV2,
        OrderBookResult,
        PriceTickerResult,
        BookTickerResult,
        SessionStatusResult,
        ListenKeyResult,
        EmptyResult,
        RateLimit,
        ErrorBody,
    ],
)
def test_only_the_required_fields_are_needed(model):
    """A payload with only the required fields (typed without None) decodes strictly, every
    other field None; ``{}`` fails naming exactly the required fields (a whole response needs
    its ``result``: see test_response_without_result_does_not_decode)."""
    required = [a for a in attrs.fields(model) if a.default is attrs.NOTHING]
    value = structure(minimal(model), model, STRICT)
    assert all(getattr(value, a.name) is None for a in attrs.fields(model) if a not in required)
    for a in required:
        assert "Optional" not in str(a.type) and getattr(value, a.name) is not None
    if required:
        with pytest.raises(DecodeError) as info:
            structure({}, model)
        assert info.value.errors == [f"required field missing @ $.{a.name}" for a in required]


def minimal(model: Any) -> dict[str, Any]:
    """The wire payload with only ``model``'s required fields, each of a plain value."""
    from binance_usdm_ws._core._converter import wire_key

    attrs.resolve_types(model)
    plain = {int: 1, str: "x", Decimal: "1.5", bool: True}
    out: dict[str, Any] = {}
    for a in attrs.fields(model):
        if a.default is attrs.NOTHING:
            tp = a.type
            if typing.get_origin(tp) is list:
                out[wire_key(a)] = []
            elif attrs.has(tp):
                out[wire_key(a)] = minimal(tp)
            else:
                out[wire_key(a)] = plain.get(tp, "x")  # an enum or str: any text fits
    return out


def test_the_required_fields_are_the_ones_binance_always_sends():
    """Which fields are required is a decision (docs' response examples and tables, spec §4):
    identity, state and the principal figures; a field Binance omits for some orders (trailing,
    ``order.status`` only, removed in 2026) stays Optional."""
    assert required_names(OrderResult) == {
        "order_id", "symbol", "status", "client_order_id", "price", "orig_qty", "executed_qty",
        "time_in_force", "type", "side", "update_time",
    }  # fmt: skip
    assert required_names(PriceTickerResult) == {"symbol", "price", "time"}
    assert required_names(BookTickerResult) == {
        "last_update_id", "symbol", "bid_price", "bid_qty", "ask_price", "ask_qty", "time",
    }  # fmt: skip
    assert required_names(OrderBookResult) == {"last_update_id", "bids", "asks"}
    assert required_names(ListenKeyResult) == {"listen_key"}
    assert required_names(RateLimit) == set() and required_names(ErrorBody) == set()


def required_names(model: Any) -> set[str]:
    return {a.name for a in attrs.fields(model) if a.default is attrs.NOTHING}


def test_order_values_and_decimal_exactness():
    """The order.place sample's values decode exactly: ``"0.100"`` stays ``Decimal("0.100")``."""
    order = structure(load("ws-api.order.place.response.json")["result"], OrderResult, STRICT)
    assert order.order_id == 336829446
    assert order.status is OrderStatus.NEW
    assert order.type is OrderType.LIMIT
    assert order.side is Side.BUY
    assert order.price == Decimal("42088.00") and str(order.price) == "42088.00"
    assert str(order.orig_qty) == "0.100"
    assert str(order.cum_quote) == "0.00000"
    assert order.reduce_only is False
    assert order.update_time == 1705385954229


def test_decimal_accepts_strings_ints_and_floats():
    """A Decimal field keeps ``"0.10"`` exactly, takes ints, and reads floats through str()."""
    tick = {"symbol": "BTCUSDT", "time": 1}
    assert structure({**tick, "price": "0.10"}, PriceTickerResult).price == Decimal("0.10")
    assert str(structure({**tick, "price": "0.10"}, PriceTickerResult).price) == "0.10"
    assert structure({**tick, "price": 3}, PriceTickerResult).price == Decimal(3)
    assert structure({**tick, "price": 0.1}, PriceTickerResult).price == Decimal("0.1")
    for bad in ("abc", True, [1]):
        with pytest.raises(DecodeError):
            structure({**tick, "price": bad}, PriceTickerResult)


def test_trailing_and_status_fields():
    """order.status and order.cancel keep the trailing fields and the creation time."""
    status = structure(
        load("ws-api.order.status.response.connector-fixture.json")["result"], OrderResult
    )
    assert status.activate_price == Decimal("9020")
    assert status.price_rate == Decimal("0.3")
    assert status.time == 1579276756075
    assert status.avg_price == Decimal("0.00000")
    modify = structure(
        load("ws-api.order.modify.response.connector-fixture.json")["result"], OrderResult
    )
    assert modify.modify_id == 1


def test_position_v1_string_boolean_and_leverage():
    """V1 positions: ``isAutoAddMargin`` "false" becomes False, leverage "10" becomes 10."""
    raw = load("ws-api.account.position.response.json")["result"]
    (position,) = structure(raw, list[PositionRiskResult], STRICT)
    assert position.is_auto_add_margin is False
    assert position.leverage == 10
    assert position.margin_type is MarginType.ISOLATED
    assert position.unrealized_profit == Decimal("0E-8")
    assert position.mark_price == Decimal("6679.50671178")
    base = minimal(PositionRiskResult)
    auto = structure({**base, "isAutoAddMargin": "True"}, PositionRiskResult)
    assert auto.is_auto_add_margin is True
    with pytest.raises(DecodeError):
        structure({**base, "isAutoAddMargin": "maybe"}, PositionRiskResult)


def test_algo_order_and_cancel():
    """algoOrder.place decodes its enums and null iceberg; algoOrder.cancel keeps code a string."""
    placed = structure(
        load("ws-api.algoOrder.place.response.json")["result"], AlgoOrderResult, STRICT
    )
    assert placed.order_type is AlgoOrderType.TAKE_PROFIT
    assert placed.algo_status is AlgoStatus.NEW
    assert placed.iceberg_quantity is None
    assert placed.trigger_price == Decimal("120000.00")
    raw = load("ws-api.algoOrder.cancel.response.json")["result"]
    cancelled = structure(raw, AlgoOrderCancelResult, STRICT)
    assert cancelled == AlgoOrderCancelResult(
        algo_id=2000000002162519, client_algo_id="rDMG8WSde6LkyMNtk6s825", code="200", msg="success"
    )


def test_account_information_nested_lists():
    """account.status decodes its nested assets and positions."""
    raw = load("ws-api.account.status.response.connector-fixture.json")["result"]
    info = structure(raw, AccountInformationResult, STRICT)
    assert info.multi_assets_margin is True and info.trade_group_id == -1
    assert info.total_wallet_balance == Decimal("126.72469206")
    assert info.assets is not None and info.assets[0].margin_available is True
    assert info.positions is not None
    assert info.positions[0].isolated is True
    assert info.positions[0].leverage == 100
    assert info.positions[0].position_side is PositionSide.BOTH


def test_order_book_levels_and_times():
    """depth decodes E and T to readable names and the levels to exact PriceLevels."""
    book = structure(load("ws-api.depth.response.json")["result"], OrderBookResult, STRICT)
    assert book.last_update_id == 1027024
    assert book.message_output_time == 1589436922972
    assert book.transaction_time == 1589436922959
    assert book.bids == [PriceLevel(Decimal("4.00000000"), Decimal("431.00000000"))]
    assert book.asks is not None and str(book.asks[0].price) == "4.00000200"


def test_tickers_decode_as_object_list_or_either():
    """ticker.price/book results decode as X, list[X], and the union picks by JSON shape."""
    one = load("ws-api.ticker.price.response.json")["result"]
    many = [one, {**one, "symbol": "ETHUSDT", "price": "3000.5"}]
    assert structure(one, PriceTickerResult).price == Decimal("6000.01")
    listed = structure(many, list[PriceTickerResult])
    assert [t.symbol for t in listed] == ["BTCUSDT", "ETHUSDT"]
    either = m.SymbolPriceTickerResponse.__args__[0]
    assert structure(one, either) == PriceTickerResult(
        symbol="BTCUSDT", price=Decimal("6000.01"), time=1589437530011
    )
    assert structure(many, either) == listed
    book = load("ws-api.ticker.book.response.json")["result"]
    books = structure([book, book], m.SymbolOrderBookTickerResponse.__args__[0])
    assert isinstance(books, list) and books[0].ask_qty == Decimal("9.00000000")
    assert isinstance(
        structure(book, Union[BookTickerResult, list[BookTickerResult]]), BookTickerResult
    )


def test_session_status_masks_the_api_key_in_repr():
    """session.logon decodes, and its repr never shows the whole API key."""
    raw = load("ws-api.session.logon.response.json")["result"]
    status = structure(raw, SessionStatusResult, STRICT)
    assert status.api_key == raw["apiKey"]
    assert status.authorized_since == 1649729878532
    assert status.return_rate_limits is False
    assert raw["apiKey"] not in repr(status)
    logout = structure(load("ws-api.session.logout.response.json")["result"], SessionStatusResult)
    assert logout.api_key is None and logout.authorized_since is None


def test_error_envelope_body_decodes():
    """The error envelope's body and rate limits decode strictly."""
    raw = load("ws-api.error.response.json")
    body = ErrorBody(code=-1102, msg=raw["error"]["msg"])
    assert structure(raw["error"], ErrorBody, STRICT) == body
    limits = structure(raw["rateLimits"], list[RateLimit], STRICT)
    assert [limit.limit for limit in limits] == [2400, 300, 1200]


def test_models_are_frozen():
    """Models cannot be changed after decoding."""
    order = structure(minimal(OrderResult), OrderResult)
    with pytest.raises(AttributeError):
        order.order_id = 2  # type: ignore[misc]


def test_enum_str_is_the_wire_value():
    """Enum members compare equal to, format as, and str() to their wire string."""
    assert Side.BUY == "BUY"
    assert str(Side.BUY) == "BUY"
    assert f"{OrderStatus.FILLED}" == "FILLED"
    assert json.dumps(Side.SELL) == '"SELL"'


def test_margin_type_spellings():
    """MarginType reads "isolated", "cross" and MARGIN_CALL's "CROSSED"."""

    def margin_type(text: str) -> Any:
        payload = {**minimal(PositionRiskResult), "marginType": text}
        return structure(payload, PositionRiskResult).margin_type

    assert margin_type("CROSSED") is MarginType.CROSS
    assert margin_type("ISOLATED") is MarginType.ISOLATED
    assert margin_type("portfolio") == "portfolio"


def test_converter_without_detailed_validation_still_raises_decode_error():
    """The non-detailed converter stops at the first problem but still raises DecodeError."""
    fast = make_converter(detailed_validation=False)
    assert structure({"limit": "5"}, RateLimit, fast).limit == 5
    with pytest.raises(DecodeError) as info:
        structure({"limit": "five"}, RateLimit, fast)
    assert len(info.value.errors) == 1 and "five" in info.value.errors[0]


def test_str_fields_keep_numbers_as_text():
    """A number sent where the model expects a string keeps its text; an object is an error."""
    assert structure({"listenKey": 123}, ListenKeyResult).listen_key == "123"
    with pytest.raises(DecodeError):
        structure({"listenKey": {"k": 1}}, ListenKeyResult)
