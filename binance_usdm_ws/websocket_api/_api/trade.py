"""Trade methods: orders, algo (conditional) orders and positions.

Every class body is the table of one WS API method; the reference part of each docstring
(wire method, security, weight, docs link, params, rules) is generated from it. Prices and
quantities are ``Decimal`` (or numeric ``str``/``int``) and go out as plain JSON strings;
enum params take the enum member or its string.
"""

from __future__ import annotations

from typing import Union

from ..._core._params import decimal_between
from ...enums import (
    AlgoOrderType,
    AlgoType,
    NewOrderRespType,
    OrderType,
    PositionSide,
    PriceMatch,
    SelfTradePreventionMode,
    Side,
    TimeInForce,
    WorkingType,
)
from .._models import (
    AlgoOrderCancelResult,
    AlgoOrderResult,
    OrderResult,
    PositionRiskResult,
    PositionRiskV2Result,
)
from .._requests import (
    BOOL_STRING,
    DECIMAL,
    LONG,
    STRING,
    Builds,
    Param,
    Security,
    Service,
    forbidden_when,
    not_together,
    one_of,
    required_when,
)
from ._common import CLIENT_ID, DOCS, DecimalLike, OptionalSymbol, SignedRequest

__all__ = [
    "CancelAlgoOrder",
    "CancelOrder",
    "ModifyOrder",
    "NewAlgoOrder",
    "NewOrder",
    "PositionInformation",
    "PositionInformationV2",
    "QueryOrder",
    "TradeApi",
]

_TRADE = f"{DOCS}/trade/websocket-api"


class NewOrder(SignedRequest[OrderResult]):
    """Place a LIMIT or MARKET order.

    Conditional types (STOP, TAKE_PROFIT, trailing...) moved to :class:`NewAlgoOrder`; the
    server rejects them here with -4120, so the builder does too. With
    ``new_order_resp_type(RESULT)`` a MARKET order returns its final FILLED state.
    Without ``new_client_order_id`` the SDK sends one it makes (unique, valid for the server),
    so the order can always be looked up. A lost reply, a drop, or a 5xx / -1006 / -1007
    reply leaves the outcome unknown (``exc.outcome_unknown``): ``exc.resolve()`` or
    ``execute(resolve_outcome=True)`` finds out, instead of placing the order again.
    """

    method = "order.place"
    security = Security.TRADE
    order_method = True
    client_id_param = "newClientOrderId"
    result = OrderResult
    weight = "0 (1 on the ORDERS limits of 10 s and 1 min)"
    docs = f"{_TRADE}/New-Order"
    rules = (
        required_when("type", "LIMIT", "quantity", "time_in_force", ("price", "price_match")),
        required_when("type", "MARKET", "quantity"),
        not_together("price", "price_match"),
        required_when("time_in_force", "GTD", "good_till_date"),
    )

    symbol = Param[str](STRING, required=True, doc="Symbol, e.g. ``BTCUSDT``.")
    side = Param[Union[Side, str]](choices=Side, required=True, doc="Order side.")
    type = Param[Union[OrderType, str]](
        choices=(OrderType.LIMIT, OrderType.MARKET), required=True, doc="Order type."
    )
    position_side = Param[Union[PositionSide, str]](
        choices=PositionSide, doc="``BOTH`` (one-way mode, default); LONG/SHORT in hedge mode."
    )
    time_in_force = Param[Union[TimeInForce, str]](
        choices=TimeInForce, doc="Required for LIMIT; GTD needs good_till_date."
    )
    quantity = Param[DecimalLike](DECIMAL, doc="Quantity; required for LIMIT and MARKET.")
    price = Param[DecimalLike](DECIMAL, doc="Limit price; LIMIT needs it or price_match.")
    reduce_only = Param[Union[bool, str]](
        BOOL_STRING, doc='Reduce only, sent as ``"true"``/``"false"``; not in hedge mode.'
    )
    new_client_order_id = Param[str](
        STRING, pattern=CLIENT_ID, doc="Unique id among open orders; generated if not sent."
    )
    new_order_resp_type = Param[Union[NewOrderRespType, str]](
        choices=NewOrderRespType, doc="``ACK`` (default) or ``RESULT``."
    )
    price_match = Param[Union[PriceMatch, str]](
        choices=PriceMatch, doc="Price from the book (LIMIT only); not with price."
    )
    self_trade_prevention_mode = Param[Union[SelfTradePreventionMode, str]](
        choices=SelfTradePreventionMode, doc="STP mode; effective with IOC, GTC and GTD."
    )
    good_till_date = Param[int](
        LONG, doc="Cancel time (ms, second precision) of a GTD order; > now + 600 s."
    )


class _OneOrder(SignedRequest[OrderResult]):
    """Base of the methods that address one order: by ``order_id`` or its client order id."""

    result = OrderResult
    rules = (one_of("order_id", "orig_client_order_id"),)

    symbol = Param[str](STRING, required=True, doc="Symbol of the order.")
    order_id = Param[int](LONG, doc="Order id; wins over orig_client_order_id.")
    orig_client_order_id = Param[str](STRING, pattern=CLIENT_ID, doc="Client order id.")


class ModifyOrder(_OneOrder):
    """Change the price and quantity of a resting LIMIT order (it is re-queued).

    The order is cancelled if it is partially filled and the new quantity is not above the
    executed one, or if a GTX order would now execute at once. At most 10000 modifications
    per order; a modification resets self-trade prevention to NONE.
    """

    method = "order.modify"
    security = Security.TRADE
    order_method = True
    weight = "0 (1 on the ORDERS limits; older docs: 1)"
    docs = f"{_TRADE}/Modify-Order"

    side = Param[Union[Side, str]](choices=Side, required=True, doc="Side of the order.")
    quantity = Param[DecimalLike](DECIMAL, required=True, doc="New quantity.")
    price = Param[DecimalLike](DECIMAL, required=True, doc="New price.")
    price_match = Param[Union[PriceMatch, str]](choices=PriceMatch, doc="Price match mode.")
    modify_id = Param[int](LONG, doc="Your id for this modification, echoed as ``modify_id``.")


class CancelOrder(_OneOrder):
    """Cancel an open order. An unknown order fails with -2011."""

    method = "order.cancel"
    security = Security.TRADE
    order_method = True
    weight = "1"
    docs = f"{_TRADE}/Cancel-Order"


class QueryOrder(_OneOrder):
    """Check an order's status.

    Not found (-2013): CANCELED or EXPIRED orders without fills older than 3 days, and any
    order older than 90 days.
    """

    method = "order.status"
    security = Security.USER_DATA
    weight = "1"
    docs = f"{_TRADE}/Query-Order"


class PositionInformation(OptionalSymbol[list[PositionRiskResult]]):
    """Current positions (V1): every symbol, or one."""

    method = "account.position"
    security = Security.USER_DATA
    result = list[PositionRiskResult]
    weight = "5"
    docs = f"{_TRADE}/Position-Information"


class PositionInformationV2(OptionalSymbol[list[PositionRiskV2Result]]):
    """Current positions (V2): only symbols with a position or open orders."""

    method = "v2/account.position"
    security = Security.USER_DATA
    result = list[PositionRiskV2Result]
    weight = "5"
    docs = f"{_TRADE}/Position-Info-V2"


class NewAlgoOrder(SignedRequest[AlgoOrderResult]):
    """Place a conditional order: STOP(_MARKET), TAKE_PROFIT(_MARKET), TRAILING_STOP_MARKET.

    It rests as an algo order until its trigger, then becomes a regular order (reported by
    ``ORDER_TRADE_UPDATE``). STOP/STOP_MARKET trigger when the price reaches ``trigger_price``
    against you, TAKE_PROFIT(_MARKET) in your favour; a trailing stop whose ``activate_price``
    is on the wrong side fails with -2021.
    """

    method = "algoOrder.place"
    security = Security.TRADE
    order_method = True
    client_id_param = "clientAlgoId"
    result = AlgoOrderResult
    weight = "0"
    docs = f"{_TRADE}/New-Algo-Order"
    rules = (
        not_together("price", "price_match"),
        forbidden_when("close_position", "true", "quantity", "reduce_only"),
    )

    algo_type = Param[Union[AlgoType, str]](choices=AlgoType, required=True, doc="CONDITIONAL.")
    symbol = Param[str](STRING, required=True, doc="Symbol, e.g. ``BTCUSDT``.")
    side = Param[Union[Side, str]](choices=Side, required=True, doc="Order side.")
    type = Param[Union[AlgoOrderType, str]](
        choices=AlgoOrderType, required=True, doc="Conditional order type."
    )
    position_side = Param[Union[PositionSide, str]](
        choices=PositionSide, doc="``BOTH`` (one-way mode, default); LONG/SHORT in hedge mode."
    )
    time_in_force = Param[Union[TimeInForce, str]](
        choices=(TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK), doc="Default GTC."
    )
    quantity = Param[DecimalLike](DECIMAL, doc="Quantity; not with close_position=true.")
    price = Param[DecimalLike](DECIMAL, doc="Limit price of STOP / TAKE_PROFIT.")
    trigger_price = Param[DecimalLike](DECIMAL, doc="Trigger price.")
    working_type = Param[Union[WorkingType, str]](
        choices=WorkingType, doc="Price compared with the trigger (default CONTRACT_PRICE)."
    )
    price_match = Param[Union[PriceMatch, str]](
        choices=PriceMatch, doc="Price from the book (STOP/TAKE_PROFIT); not with price."
    )
    close_position = Param[Union[bool, str]](
        BOOL_STRING, doc="Close-all with STOP_MARKET / TAKE_PROFIT_MARKET."
    )
    price_protect = Param[Union[bool, str]](
        BOOL_STRING, doc="Mark/contract price gap must stay under the symbol's triggerProtect."
    )
    reduce_only = Param[Union[bool, str]](
        BOOL_STRING, doc="Reduce only; not in hedge mode, not with close_position=true."
    )
    activate_price = Param[DecimalLike](DECIMAL, doc="TRAILING_STOP_MARKET activation price.")
    callback_rate = Param[DecimalLike](
        decimal_between("0.1", "20"),
        doc="TRAILING_STOP_MARKET rate in %, 0.1 to 20 (the maximum was 10 until 2026-10-23).",
    )
    client_algo_id = Param[str](
        STRING, pattern=CLIENT_ID, doc="Unique id among open orders; generated if not sent."
    )
    new_order_resp_type = Param[Union[NewOrderRespType, str]](
        choices=NewOrderRespType, doc="``ACK`` (default) or ``RESULT``."
    )
    self_trade_prevention_mode = Param[Union[SelfTradePreventionMode, str]](
        choices=SelfTradePreventionMode, doc="STP mode."
    )
    good_till_date = Param[int](LONG, doc="Cancel time (ms); > now + 600 s.")


class CancelAlgoOrder(SignedRequest[AlgoOrderCancelResult]):
    """Cancel an algo order that has not triggered yet."""

    method = "algoOrder.cancel"
    security = Security.TRADE
    order_method = True
    result = AlgoOrderCancelResult
    weight = "1"
    docs = f"{_TRADE}/Cancel-Algo-Order"
    rules = (one_of("algo_id", "client_algo_id"),)

    algo_id = Param[int](LONG, doc="Algo order id; wins over client_algo_id.")
    client_algo_id = Param[str](STRING, pattern=CLIENT_ID, doc="Client algo id.")


class TradeApi(Service):
    """Orders, algo orders and positions; each method returns a fresh request builder."""

    new_order = Builds(NewOrder)
    modify_order = Builds(ModifyOrder)
    cancel_order = Builds(CancelOrder)
    query_order = Builds(QueryOrder)
    position_information = Builds(PositionInformation)
    position_information_v2 = Builds(PositionInformationV2)
    new_algo_order = Builds(NewAlgoOrder)
    cancel_algo_order = Builds(CancelAlgoOrder)
