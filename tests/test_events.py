"""Tests of the user data stream events and ``decode_event`` (``_events.py``)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from binance_usdm_ws._core._converter import REQUIRED, make_converter, structure
from binance_usdm_ws._core._models import UnknownEvent
from binance_usdm_ws.enums import (
    AccountUpdateReason,
    AlgoOrderType,
    AlgoStatus,
    AlgoType,
    ExecutionType,
    MarginType,
    OrderStatus,
    OrderType,
    PositionSide,
    PriceMatch,
    SelfTradePreventionMode,
    Side,
    StrategyStatus,
    TimeInForce,
    WorkingType,
)
from binance_usdm_ws.errors import DecodeError
from binance_usdm_ws.websocket_streams.user_data._algo_events import (
    AlgoUpdate,
    ConditionalOrderTriggerReject,
    GridUpdate,
    StrategyUpdate,
)
from binance_usdm_ws.websocket_streams.user_data._decode import EVENT_TYPES, decode_event
from binance_usdm_ws.websocket_streams.user_data._events import (
    AccountConfigUpdate,
    AccountUpdate,
    Balance,
    LeverageUpdate,
    ListenKeyExpired,
    MarginCall,
    MultiAssetsUpdate,
    OrderTradeUpdate,
    Position,
    TradeLite,
)

from ._data import DATA

SAMPLES = DATA
STRICT = make_converter(strict=True)
EVENT_SAMPLES = sorted(p.name for p in SAMPLES.glob("event.*.json"))


def load(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def decode_strictly(payload: dict[str, Any]) -> Any:
    """Decode with the shipped dispatcher, and check the strict converter agrees."""
    event = decode_event(payload)
    assert structure(payload, type(event), STRICT) == event
    return event


def test_every_documented_event_type_is_dispatched():
    """EVENT_TYPES holds the ten events of spec §6.2, and each sample's ``e`` is among them."""
    assert set(EVENT_TYPES) == {
        "listenKeyExpired",
        "ACCOUNT_UPDATE",
        "MARGIN_CALL",
        "ORDER_TRADE_UPDATE",
        "TRADE_LITE",
        "ACCOUNT_CONFIG_UPDATE",
        "STRATEGY_UPDATE",
        "GRID_UPDATE",
        "CONDITIONAL_ORDER_TRIGGER_REJECT",
        "ALGO_UPDATE",
    }
    assert {load(name)["e"] for name in EVENT_SAMPLES} == set(EVENT_TYPES)


@pytest.mark.parametrize("sample", EVENT_SAMPLES)
def test_event_sample_decodes_strictly_to_its_class(sample):
    """Each sample decodes, with every key known to the strict converter, into its class."""
    raw = load(sample)
    event = decode_strictly(raw)
    assert type(event) is EVENT_TYPES[raw["e"]]
    assert event.event_type == raw["e"]
    assert event.event_time == int(raw["E"])


def test_order_trade_update_field_by_field():
    """Every key of the ORDER_TRADE_UPDATE sample lands in its readable field."""
    event = decode_strictly(load("event.ORDER_TRADE_UPDATE.json"))
    assert isinstance(event, OrderTradeUpdate)
    assert event.event_time == 1568879465651
    assert event.transaction_time == 1568879465650
    order = event.order
    assert order is not None
    assert order.symbol == "BTCUSDT"
    assert order.client_order_id == "TEST"
    assert order.side is Side.SELL
    assert order.order_type is OrderType.TRAILING_STOP_MARKET
    assert order.time_in_force is TimeInForce.GTC
    assert order.original_quantity == Decimal("0.001")
    assert order.original_price == Decimal("0")
    assert order.average_price == Decimal("0")
    assert order.stop_price == Decimal("7103.04")
    assert order.execution_type is ExecutionType.NEW
    assert order.status is OrderStatus.NEW
    assert order.order_status is OrderStatus.NEW
    assert order.order_id == 8886774
    assert order.modify_id is None
    assert order.last_filled_quantity == Decimal("0")
    assert order.filled_accumulated_quantity == Decimal("0")
    assert order.last_filled_price == Decimal("0")
    assert order.commission_asset == "USDT"
    assert order.commission == Decimal("0")
    assert order.trade_time == 1568879465650
    assert order.trade_id == 0
    assert order.bids_notional == Decimal("0")
    assert str(order.ask_notional) == "9.91"
    assert order.is_maker is False
    assert order.is_reduce_only is False
    assert order.working_type is WorkingType.CONTRACT_PRICE
    assert order.original_order_type is OrderType.TRAILING_STOP_MARKET
    assert order.position_side is PositionSide.LONG
    assert order.close_all is False
    assert str(order.activation_price) == "7476.89"
    assert str(order.callback_rate) == "5.0"
    assert order.price_protect is False
    assert order.si == 0 and order.ss == 0
    assert order.realized_profit == Decimal("0")
    assert order.stp_mode is SelfTradePreventionMode.EXPIRE_TAKER
    assert order.price_match is PriceMatch.OPPONENT
    assert order.good_till_date == 0
    assert order.expiry_reason == "0"


def test_order_trade_update_amendment_with_modify_id():
    """An AMENDMENT carries ``M`` (a string on the wire), decoded to the int modifyId."""
    raw = load("event.ORDER_TRADE_UPDATE.json")
    raw["o"].update({"x": "AMENDMENT", "M": "42", "o": "LIMIT", "p": "60000.10"})
    order = decode_strictly(raw).order
    assert order.execution_type is ExecutionType.AMENDMENT
    assert order.modify_id == 42
    assert str(order.original_price) == "60000.10"


def test_order_trade_update_liquidation_and_stp_expiry():
    """A LIQUIDATION order type and an EXPIRED_IN_MATCH status decode to their members."""
    raw = load("event.ORDER_TRADE_UPDATE.json")
    raw["o"].update({"o": "LIQUIDATION", "X": "EXPIRED_IN_MATCH", "c": "autoclose-1", "er": "1"})
    order = decode_event(raw).order
    assert order.order_type is OrderType.LIQUIDATION
    assert order.status is OrderStatus.EXPIRED_IN_MATCH
    assert order.expiry_reason == "1"


def test_order_trade_update_without_commission_keys():
    """``N`` and ``n`` are not pushed without commission: their fields are None."""
    raw = load("event.ORDER_TRADE_UPDATE.json")
    del raw["o"]["N"], raw["o"]["n"]
    order = decode_strictly(raw).order
    assert order.commission_asset is None and order.commission is None


def test_account_update_field_by_field():
    """The ACCOUNT_UPDATE sample's balances and positions decode in order, exactly."""
    event = decode_strictly(load("event.ACCOUNT_UPDATE.json"))
    assert isinstance(event, AccountUpdate)
    assert event.event_time == 1564745798939
    assert event.transaction_time == 1564745798938
    data = event.data
    assert data is not None
    assert data.reason is AccountUpdateReason.ORDER
    assert data.symbol is None
    assert data.balances == [
        Balance(
            asset="USDT",
            wallet_balance=Decimal("122624.12345678"),
            cross_wallet_balance=Decimal("100.12345678"),
            balance_change=Decimal("50.12345678"),
        ),
        Balance(
            asset="BUSD",
            wallet_balance=Decimal("1.00000000"),
            cross_wallet_balance=Decimal("0.00000000"),
            balance_change=Decimal("-49.12345678"),
        ),
    ]
    assert data.positions is not None and len(data.positions) == 3
    assert data.positions[2] == Position(
        symbol="BTCUSDT",
        position_amount=Decimal("-10"),
        entry_price=Decimal("6563.86000"),
        breakeven_price=Decimal("6563.6"),
        accumulated_realized=Decimal("-45.04000000"),
        unrealized_pnl=Decimal("-1423.15600"),
        margin_type=MarginType.ISOLATED,
        isolated_wallet=Decimal("6570.42511771"),
        position_side=PositionSide.SHORT,
    )
    assert str(data.positions[1].entry_price) == "6563.66500"


def test_account_update_funding_fee_crossed_has_symbol_and_no_positions():
    """A crossed FUNDING_FEE update (``a.S``, only ``B``, no ``P``) decodes with positions None."""
    payload = {
        "e": "ACCOUNT_UPDATE",
        "E": 1754000000001,
        "T": 1754000000000,
        "a": {
            "m": "FUNDING_FEE",
            "S": "BTCUSDT",
            "B": [{"a": "USDT", "wb": "100.5", "cw": "100.5", "bc": "0"}],
        },
    }
    event = decode_strictly(payload)
    assert event.data.reason is AccountUpdateReason.FUNDING_FEE
    assert event.data.symbol == "BTCUSDT"
    assert event.data.positions is None
    assert event.data.balances[0].wallet_balance == Decimal("100.5")


def test_account_update_unknown_reason_stays_a_string():
    """A reason this version does not know is kept as the raw string."""
    raw = load("event.ACCOUNT_UPDATE.json")
    raw["a"]["m"] = "SOMETHING_NEW"
    assert decode_event(raw).data.reason == "SOMETHING_NEW"


def test_trade_lite_field_by_field():
    """Every key of the TRADE_LITE sample lands in its readable field."""
    event = decode_strictly(load("event.TRADE_LITE.json"))
    assert event == TradeLite(
        event_type="TRADE_LITE",
        event_time=1721895408092,
        transaction_time=1721895408214,
        symbol="BTCUSDT",
        original_quantity=Decimal("0.001"),
        original_price=Decimal("0"),
        is_maker=False,
        client_order_id="z8hcUoOsqEdKMeKPSABslD",
        side=Side.BUY,
        last_filled_price=Decimal("64089.20"),
        last_filled_quantity=Decimal("0.040"),
        trade_id=109100866,
        order_id=8886774,
    )
    assert str(event.last_filled_quantity) == "0.040"


def test_algo_update_field_by_field():
    """Every key of the ALGO_UPDATE sample lands in its readable field (T and E not swapped)."""
    event = decode_strictly(load("event.ALGO_UPDATE.json"))
    assert isinstance(event, AlgoUpdate)
    assert event.transaction_time == 1750515742297
    assert event.event_time == 1750515742303
    order = event.order
    assert order is not None
    assert order.client_algo_id == "Q5xaq5EGKgXXa0fD7fs0Ip"
    assert order.algo_id == 2148719
    assert order.algo_type is AlgoType.CONDITIONAL
    assert order.order_type is AlgoOrderType.TAKE_PROFIT
    assert order.symbol == "BNBUSDT"
    assert order.side is Side.SELL
    assert order.position_side is PositionSide.BOTH
    assert order.time_in_force is TimeInForce.GTC
    assert order.quantity == Decimal("0.01")
    assert order.algo_status is AlgoStatus.CANCELED
    assert order.matching_order_id == ""
    assert str(order.average_price) == "0.00000"
    assert order.executed_quantity == Decimal("0")
    assert order.actual_order_type == "0"
    assert order.trigger_price == Decimal("750")
    assert order.price == Decimal("750")
    assert order.stp_mode is SelfTradePreventionMode.EXPIRE_MAKER
    assert order.working_type is WorkingType.CONTRACT_PRICE
    assert order.price_match is PriceMatch.NONE
    assert order.close_all is False
    assert order.price_protect is False
    assert order.is_reduce_only is False
    assert order.trigger_time == 0
    assert order.good_till_date == 0
    assert order.failed_reason == "Reduce Only reject"
    assert order.is_activated is None


def test_algo_update_trailing_with_activation_flag():
    """A triggered trailing algo order with ``ia`` decodes is_activated and the actual type."""
    raw = load("event.ALGO_UPDATE.json")
    raw["o"].update(
        {"o": "TRAILING_STOP_MARKET", "X": "TRIGGERED", "ai": "8886775", "act": "MARKET"}
    )
    raw["o"]["ia"] = True
    order = decode_strictly(raw).order
    assert order.is_activated is True
    assert order.order_type is AlgoOrderType.TRAILING_STOP_MARKET
    assert order.algo_status is AlgoStatus.TRIGGERED
    assert order.actual_order_type is OrderType.MARKET
    assert order.matching_order_id == "8886775"


def test_account_config_update_leverage_form():
    """The ``ac`` form sets ``leverage`` and leaves ``multi_assets`` None."""
    event = decode_strictly(load("event.ACCOUNT_CONFIG_UPDATE.leverage.json"))
    assert isinstance(event, AccountConfigUpdate)
    assert event.transaction_time == 1611646737476
    assert event.leverage == LeverageUpdate(symbol="BTCUSDT", leverage=25)
    assert event.multi_assets is None


def test_account_config_update_multi_assets_form():
    """The ``ai`` form (spec text: ``{j: BOOL}``) sets ``multi_assets`` and leaves leverage None."""
    payload = {"e": "ACCOUNT_CONFIG_UPDATE", "E": 1611646737479, "T": 1611646737476}
    payload["ai"] = {"j": True}
    event = decode_strictly(payload)
    assert event.multi_assets == MultiAssetsUpdate(multi_assets_mode=True)
    assert event.leverage is None


def test_listen_key_expired_with_string_and_int_time():
    """``listenKeyExpired.E`` decodes to the same int whether sent as a string or an int."""
    raw = load("event.listenKeyExpired.json")
    assert isinstance(raw["E"], str)
    from_string = decode_strictly(raw)
    from_int = decode_strictly({**raw, "E": 1736996475556})
    assert isinstance(from_string, ListenKeyExpired)
    assert from_string == from_int
    assert from_string.event_time == 1736996475556
    assert from_string.listen_key == raw["listenKey"]


def test_margin_call_crossed():
    """MARGIN_CALL decodes its positions; ``CROSSED`` reads as MarginType.CROSS."""
    event = decode_strictly(load("event.MARGIN_CALL.json"))
    assert isinstance(event, MarginCall)
    assert event.cross_wallet_balance == Decimal("3.16812045")
    (position,) = event.positions
    assert position.margin_type is MarginType.CROSS
    assert position.position_side is PositionSide.LONG
    assert position.mark_price == Decimal("187.17127")
    assert position.maintenance_margin_required == Decimal("1.614445")


def test_strategy_grid_and_trigger_reject():
    """STRATEGY_UPDATE, GRID_UPDATE and CONDITIONAL_ORDER_TRIGGER_REJECT keep their values."""
    strategy = decode_strictly(load("event.STRATEGY_UPDATE.json"))
    assert isinstance(strategy, StrategyUpdate)
    assert strategy.strategy.strategy_id == 176054594
    assert strategy.strategy.strategy_status is StrategyStatus.NEW
    assert strategy.strategy.op_code == 8007
    grid = decode_strictly(load("event.GRID_UPDATE.json"))
    assert isinstance(grid, GridUpdate)
    assert grid.grid.realized_pnl == Decimal("-0.00300716")
    assert grid.grid.unmatched_quantity == Decimal("-0.001")
    assert grid.grid.update_time == 1669262908197
    reject = decode_strictly(load("event.CONDITIONAL_ORDER_TRIGGER_REJECT.json"))
    assert isinstance(reject, ConditionalOrderTriggerReject)
    assert reject.reject.order_id == 155618472834
    assert reject.reject.reason.startswith("Due to the order")


def test_unknown_event_type_is_kept_with_raw_payload():
    """An unknown ``e`` becomes UnknownEvent with type, time and the untouched payload."""
    payload = {"e": "SOMETHING_NEW", "E": 1754000000000, "x": {"y": [1, 2]}}
    event = decode_event(payload)
    assert isinstance(event, UnknownEvent)
    assert event.event_type == "SOMETHING_NEW"
    assert event.event_time == 1754000000000
    assert event.raw is payload


@pytest.mark.parametrize(
    "payload",
    [{}, {"E": "17"}, {"e": None, "E": None}, {"e": 5, "E": "soon"}, {"e": ["x"], "E": 1.5}],
)
def test_odd_envelopes_are_unknown_events_not_errors(payload):
    """A missing, null or non-string ``e`` still yields an UnknownEvent; never an exception."""
    event = decode_event(payload)
    assert isinstance(event, UnknownEvent)
    assert event.event_type is None
    assert event.event_time == (17 if payload.get("E") == "17" else None)
    assert event.raw is payload


def test_new_fields_are_ignored_by_the_shipped_decoder():
    """A key added by Binance does not break decoding (the strict converter would flag it)."""
    raw = load("event.TRADE_LITE.json")
    raw["zz"] = "new"
    assert decode_event(raw).symbol == "BTCUSDT"
    with pytest.raises(DecodeError, match="extra fields found"):
        structure(raw, TradeLite, STRICT)


def test_malformed_known_event_arrives_typed_with_the_odd_optional_fields_none(caplog):
    """A known event with wrong values in optional fields still arrives typed: those fields
    are None and said.

    ``structure`` (strict) raises DecodeError naming each field, with the payload.
    """
    raw = load("event.ORDER_TRADE_UPDATE.json")
    raw["o"]["sp"] = "not-a-price"
    raw["o"]["gtd"] = "1..0"
    event = decode_event(raw)
    assert isinstance(event, OrderTradeUpdate) and event.raw is raw
    assert event.order.stop_price is None and event.order.good_till_date is None
    assert event.order.symbol == "BTCUSDT" and event.order.order_id == raw["o"]["i"]
    assert sorted(event.decode_problems) == [
        "$.order.good_till_date: expected int, got str",
        "$.order.stop_price: expected Decimal, got str",
    ]
    assert any("$.order.stop_price" in r.getMessage() for r in caplog.records)
    assert "not-a-price" not in caplog.text  # paths and types, never values
    # Required fields (the order id, its quantity) that do not fit: never a None the type
    # denies; the event arrives as an UnknownEvent with its payload and every problem.
    raw["o"]["i"] = "not-an-id"
    raw["o"]["q"] = "1..0"
    unknown = decode_event(raw)
    assert isinstance(unknown, UnknownEvent) and unknown.raw is raw
    assert unknown.event_type == "ORDER_TRADE_UPDATE"
    assert unknown.decode_problems == (  # every problem, not only the first
        "$.order.original_quantity: expected Decimal, got str",
        f"$.order.original_quantity: {REQUIRED}",
        "$.order.stop_price: expected Decimal, got str",
        "$.order.order_id: expected int, got str",
        f"$.order.order_id: {REQUIRED}",
        "$.order.good_till_date: expected int, got str",
    )
    with pytest.raises(DecodeError) as info:
        structure(raw, OrderTradeUpdate)
    error = info.value
    assert error.payload is raw
    assert any(e.endswith("@ $.order.order_id") and "expected int" in e for e in error.errors)
    assert any(e.endswith("@ $.order.original_quantity") for e in error.errors)
    assert "OrderTradeUpdate" in str(error)
    assert error.__cause__ is not None


def test_event_whose_own_object_has_the_wrong_shape_is_a_decode_error_not_an_empty_order():
    """An ``o`` that is a string, not an object: the event's own object is required, so the
    event does not fit: it arrives as an ``UnknownEvent`` with its raw payload and problems."""
    payload = {"e": "ORDER_TRADE_UPDATE", "E": 1, "T": 1, "o": "oops"}
    event = decode_event(payload)
    assert isinstance(event, UnknownEvent) and event.raw is payload
    assert event.event_type == "ORDER_TRADE_UPDATE" and event.event_time == 1
    assert event.decode_problems == (
        "$.order: expected OrderUpdate, got str",
        f"$.order: {REQUIRED}",
    )
    with pytest.raises(DecodeError) as info:
        structure(payload, OrderTradeUpdate)
    assert info.value.errors[0].endswith("@ $.order")


def test_non_object_payload_is_a_decode_error():
    """A payload that is not a JSON object raises DecodeError."""
    with pytest.raises(DecodeError) as info:
        decode_event([1, 2])  # type: ignore[arg-type]
    assert info.value.errors == ["expected an object, got list @ $"]


def test_events_are_frozen_and_equal_by_value():
    """Decoded events are immutable and compare by value."""
    raw = load("event.ORDER_TRADE_UPDATE.json")
    first, second = decode_event(raw), decode_event(copy.deepcopy(raw))
    assert first == second
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        first.order.symbol = "ETHUSDT"


def test_benchmark_runs_and_reports_the_ratio():
    """benchmarks/events.py's run() returns positive timings and the decode/loads ratio."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "events.py"
    spec = importlib.util.spec_from_file_location("bench_events", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.run(number=50, repeat=2)
    assert figures["loads_us"] > 0 and figures["decode_us"] > 0
    assert figures["ratio"] == pytest.approx(figures["decode_us"] / figures["loads_us"])


def test_unmodelled_fields_are_kept_in_raw():
    """A field this version does not model is not an error and stays reachable in .raw."""
    payload = dict(load("event.TRADE_LITE.json"), newField={"x": 1})
    event = decode_event(payload)
    assert isinstance(event, TradeLite)
    assert event.raw["newField"] == {"x": 1}
    assert "newField" not in repr(event)
