"""User data events of strategies, grids and algo orders: ``STRATEGY_UPDATE``, ``GRID_UPDATE``,
``CONDITIONAL_ORDER_TRIGGER_REJECT`` (deprecated by Binance, still decoded) and
``ALGO_UPDATE``. Same conventions as ``_events.py``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Optional, Union

from attrs import define, field

from ..._core._models import _key, _TypedEvent
from ...enums import (
    AlgoOrderType,
    AlgoStatus,
    AlgoType,
    OrderType,
    PositionSide,
    PriceMatch,
    SelfTradePreventionMode,
    Side,
    StrategyStatus,
    TimeInForce,
    WorkingType,
)

__all__ = [
    "AlgoOrderUpdate",
    "AlgoUpdate",
    "ConditionalOrderTriggerReject",
    "GridUpdate",
    "GridUpdateData",
    "OrderReject",
    "StrategyUpdate",
    "StrategyUpdateData",
]

# --------------------------------------------------------------------------------------------
# STRATEGY_UPDATE, GRID_UPDATE


@define(frozen=True, kw_only=True)
class StrategyUpdateData:
    """The strategy of a ``STRATEGY_UPDATE`` (``su``).

    Attributes:
        strategy_id: Strategy id (``si``).
        strategy_type: Strategy type, e.g. ``GRID`` (``st``).
        strategy_status: ``NEW``, ``WORKING``, ``CANCELLED`` or ``EXPIRED`` (``ss``).
        symbol: Symbol (``s``).
        update_time: Update time (``ut``).
        op_code: Why it changed (``c``): 8001 parameters updated, 8002 cancelled by the user,
            8003 an order placed or cancelled by hand, 8004 stop limit reached, 8005 position
            liquidated, 8006 max open order limit, 8007 new grid order, 8008 margin not enough,
            8009 price out of bounds, 8010 market closed or paused, 8011 close position failed,
            8012 max notional exceeded, 8013 KYC/jurisdiction, 8014 quantitative rules, 8015
            position empty or liquidated.
    """

    strategy_id: int = field(metadata=_key("si"))
    strategy_type: Optional[str] = field(default=None, metadata=_key("st"))
    strategy_status: Union[StrategyStatus, str] = field(metadata=_key("ss"))
    symbol: str = field(metadata=_key("s"))
    update_time: Optional[int] = field(default=None, metadata=_key("ut"))
    op_code: Optional[int] = field(default=None, metadata=_key("c"))


@define(frozen=True, kw_only=True)
class StrategyUpdate(_TypedEvent):
    """``STRATEGY_UPDATE``: a trading strategy changed.

    Attributes:
        event_type: ``"STRATEGY_UPDATE"``.
        event_time: Event time (ms).
        transaction_time: Transaction time (``T``).
        strategy: The strategy (``su``).
    """

    transaction_time: int = field(metadata=_key("T"))
    strategy: StrategyUpdateData = field(metadata=_key("su"))


@define(frozen=True, kw_only=True)
class GridUpdateData:
    """The grid of a ``GRID_UPDATE`` (``gu``).

    Attributes:
        strategy_id: Strategy id (``si``).
        strategy_type: Strategy type (``st``).
        strategy_status: Strategy status (``ss``).
        symbol: Symbol (``s``).
        realized_pnl: Realized PnL (``r``).
        unmatched_average_price: Unmatched average price (``up``).
        unmatched_quantity: Unmatched quantity (``uq``).
        unmatched_fee: Unmatched fee (``uf``).
        matched_pnl: Matched PnL (``mp``).
        update_time: Update time (``ut``).
    """

    strategy_id: int = field(metadata=_key("si"))
    strategy_type: Optional[str] = field(default=None, metadata=_key("st"))
    strategy_status: Union[StrategyStatus, str] = field(metadata=_key("ss"))
    symbol: str = field(metadata=_key("s"))
    realized_pnl: Optional[Decimal] = field(default=None, metadata=_key("r"))
    unmatched_average_price: Optional[Decimal] = field(default=None, metadata=_key("up"))
    unmatched_quantity: Optional[Decimal] = field(default=None, metadata=_key("uq"))
    unmatched_fee: Optional[Decimal] = field(default=None, metadata=_key("uf"))
    matched_pnl: Optional[Decimal] = field(default=None, metadata=_key("mp"))
    update_time: Optional[int] = field(default=None, metadata=_key("ut"))


@define(frozen=True, kw_only=True)
class GridUpdate(_TypedEvent):
    """``GRID_UPDATE``: a grid strategy changed (deprecated in the 2026 docs).

    Attributes:
        event_type: ``"GRID_UPDATE"``.
        event_time: Event time (ms).
        transaction_time: Transaction time (``T``).
        grid: The grid (``gu``).
    """

    transaction_time: int = field(metadata=_key("T"))
    grid: GridUpdateData = field(metadata=_key("gu"))


# --------------------------------------------------------------------------------------------
# CONDITIONAL_ORDER_TRIGGER_REJECT


@define(frozen=True, kw_only=True)
class OrderReject:
    """The rejected order of a ``CONDITIONAL_ORDER_TRIGGER_REJECT`` (``or``).

    Attributes:
        symbol: Symbol (``s``).
        order_id: Order id (``i``).
        reason: Reject reason (``r``).
    """

    symbol: str = field(metadata=_key("s"))
    order_id: int = field(metadata=_key("i"))
    reason: str = field(metadata=_key("r"))


@define(frozen=True, kw_only=True)
class ConditionalOrderTriggerReject(_TypedEvent):
    """``CONDITIONAL_ORDER_TRIGGER_REJECT``: a triggered TP/SL order was rejected.

    Deprecated by Binance since 2025-12-15: conditional orders are algo orders since then, and a
    rejected trigger arrives as an :class:`AlgoUpdate` (``algo_status`` ``REJECTED``, the reason
    in ``order.failed_reason``). Still decoded, for accounts or frames that send it.

    Attributes:
        event_type: ``"CONDITIONAL_ORDER_TRIGGER_REJECT"``.
        event_time: Event time (ms).
        transaction_time: Message send time (``T``).
        reject: The rejected order (``or``).
    """

    transaction_time: int = field(metadata=_key("T"))
    reject: OrderReject = field(metadata=_key("or"))


# --------------------------------------------------------------------------------------------
# ALGO_UPDATE


@define(frozen=True, kw_only=True)
class AlgoOrderUpdate:
    """The algo order of an ``ALGO_UPDATE`` (``o``).

    Attributes:
        client_algo_id: Client algo id (``caid``).
        algo_id: Algo id (``aid``).
        algo_type: ``CONDITIONAL`` (``at``).
        order_type: Conditional order type (``o``).
        symbol: Symbol (``s``).
        side: Side (``S``).
        position_side: Position side (``ps``).
        time_in_force: Time in force (``f``).
        quantity: Quantity (``q``).
        algo_status: Algo status (``X``).
        matching_order_id: Order id in the matching engine; ``""`` before trigger (``ai``).
        average_price: Average fill price, after trigger (``ap``).
        executed_quantity: Executed quantity, after trigger (``aq``).
        actual_order_type: Order type in the matching engine, after trigger; ``"0"`` before,
            kept as a string (``act``).
        trigger_price: Trigger price (``tp``).
        price: Order price (``p``).
        stp_mode: Self-trade prevention mode (``V``).
        working_type: Working type (``wt``).
        price_match: Price match mode (``pm``).
        close_all: Close-all order (``cp``).
        price_protect: Price protection on (``pP``).
        is_reduce_only: Reduce-only order (``R``).
        trigger_time: Trigger time (``tt``).
        good_till_date: GTD time (``gtd``).
        failed_reason: Why the algo order failed (``rm``).
        is_activated: Whether a trailing stop is activated (``ia``; live since 2026-08-21, not in
            the docs sample; ``None`` in older frames). A trailing stop may send two
            ``ALGO_UPDATE`` with ``algo_status`` ``NEW`` for one ``algo_id``, the first with
            ``is_activated`` ``False``: both are real events, neither is a duplicate.
    """

    client_algo_id: str = field(metadata=_key("caid"))
    algo_id: int = field(metadata=_key("aid"))
    algo_type: Union[AlgoType, str] = field(metadata=_key("at"))
    order_type: Union[AlgoOrderType, str] = field(metadata=_key("o"))
    symbol: str = field(metadata=_key("s"))
    side: Union[Side, str] = field(metadata=_key("S"))
    position_side: Optional[Union[PositionSide, str]] = field(default=None, metadata=_key("ps"))
    time_in_force: Optional[Union[TimeInForce, str]] = field(default=None, metadata=_key("f"))
    quantity: Optional[Decimal] = field(default=None, metadata=_key("q"))
    algo_status: Union[AlgoStatus, str] = field(metadata=_key("X"))
    matching_order_id: Optional[str] = field(default=None, metadata=_key("ai"))
    average_price: Optional[Decimal] = field(default=None, metadata=_key("ap"))
    executed_quantity: Optional[Decimal] = field(default=None, metadata=_key("aq"))
    actual_order_type: Optional[Union[OrderType, str]] = field(default=None, metadata=_key("act"))
    trigger_price: Optional[Decimal] = field(default=None, metadata=_key("tp"))
    price: Optional[Decimal] = field(default=None, metadata=_key("p"))
    stp_mode: Optional[Union[SelfTradePreventionMode, str]] = field(
        default=None, metadata=_key("V")
    )
    working_type: Optional[Union[WorkingType, str]] = field(default=None, metadata=_key("wt"))
    price_match: Optional[Union[PriceMatch, str]] = field(default=None, metadata=_key("pm"))
    close_all: Optional[bool] = field(default=None, metadata=_key("cp"))
    price_protect: Optional[bool] = field(default=None, metadata=_key("pP"))
    is_reduce_only: Optional[bool] = field(default=None, metadata=_key("R"))
    trigger_time: Optional[int] = field(default=None, metadata=_key("tt"))
    good_till_date: Optional[int] = field(default=None, metadata=_key("gtd"))
    failed_reason: Optional[str] = field(default=None, metadata=_key("rm"))
    is_activated: Optional[bool] = field(default=None, metadata=_key("ia"))


@define(frozen=True, kw_only=True)
class AlgoUpdate(_TypedEvent):
    """``ALGO_UPDATE``: an algo (conditional) order changed.

    Once triggered, the resulting order is reported by ``ORDER_TRADE_UPDATE``.

    Attributes:
        event_type: ``"ALGO_UPDATE"``.
        event_time: Event time (ms).
        transaction_time: Transaction time (``T``).
        order: The algo order (``o``).
    """

    transaction_time: int = field(metadata=_key("T"))
    order: AlgoOrderUpdate = field(metadata=_key("o"))
