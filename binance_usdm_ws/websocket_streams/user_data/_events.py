"""Typed events of the USDⓈ-M user data stream and :func:`decode_event`.

The wire uses one- and two-letter keys (``"X"``, ``"ap"``); the models use readable names, and
each key is declared once, on its field (``field(metadata={"key": "X"})``). Every event has
``event_type`` (``e``) and ``event_time`` (``E``, ms). Fields every event of its type carries
(the docs' tables: the object an event is about — ``OrderTradeUpdate.order``,
``AccountUpdate.data``, ``AlgoUpdate.order``, ... — its transaction time, an order's ids, symbol,
side, type, status, prices and quantities, a balance's figures) are typed without ``None``;
fields Binance sends only sometimes (commissions, ``modify_id``, trailing-stop fields, a funding
fee's positions, ``ma``, ``ia``) are ``Optional``. An event whose required field is missing or
does not fit arrives as an :class:`UnknownEvent` with ``raw`` and ``decode_problems`` (models
are keyword-only). Money is ``Decimal``; enum fields hold the member, or the raw string for a
value this version does not know.

:func:`decode_event` dispatches on ``e`` through :data:`EVENT_TYPES`. An event type it does not
know becomes an :class:`UnknownEvent` carrying the raw payload: new events are never an error and
never dropped.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Optional, Union

from attrs import define, field

from ..._core._models import UnknownEvent, _key, _TypedEvent
from ..._core._redact import SECRET, mask_repr
from ...enums import (
    AccountUpdateReason,
    ExecutionType,
    MarginType,
    OrderStatus,
    OrderType,
    PositionSide,
    PriceMatch,
    SelfTradePreventionMode,
    Side,
    TimeInForce,
    WorkingType,
)

__all__ = [
    "AccountConfigUpdate",
    "AccountUpdate",
    "AccountUpdateData",
    "Balance",
    "LeverageUpdate",
    "ListenKeyExpired",
    "MarginCall",
    "MarginCallPosition",
    "MultiAssetsUpdate",
    "OrderTradeUpdate",
    "OrderUpdate",
    "Position",
    "TradeLite",
    "UnknownEvent",
]

logger = logging.getLogger("binance_usdm_ws")


# --------------------------------------------------------------------------------------------
# listenKeyExpired


@define(frozen=True, kw_only=True)
class ListenKeyExpired(_TypedEvent):
    """``listenKeyExpired``: the stream's listenKey expired; no more events until a new key.

    Not a disconnection. ``event_time`` arrives as a string in the docs sample and as an int from
    the connectors; both decode to ``int``.

    Attributes:
        event_type: ``"listenKeyExpired"``.
        event_time: Event time (ms).
        listen_key: The expired key (shortened in ``repr``).
    """

    listen_key: str = field(repr=mask_repr, metadata=SECRET)


# --------------------------------------------------------------------------------------------
# ACCOUNT_UPDATE


@define(frozen=True, kw_only=True)
class Balance:
    """A changed balance in ``ACCOUNT_UPDATE`` (``a.B[]``).

    Attributes:
        asset: Asset (``a``).
        wallet_balance: Wallet balance (``wb``).
        cross_wallet_balance: Cross wallet balance (``cw``).
        balance_change: Balance change except PnL and commission (``bc``; absent from older
            live frames, so ``Optional``).
    """

    asset: str = field(metadata=_key("a"))
    wallet_balance: Decimal = field(metadata=_key("wb"))
    cross_wallet_balance: Decimal = field(metadata=_key("cw"))
    balance_change: Optional[Decimal] = field(default=None, metadata=_key("bc"))


@define(frozen=True, kw_only=True)
class Position:
    """A changed position in ``ACCOUNT_UPDATE`` (``a.P[]``).

    Attributes:
        symbol: Symbol (``s``).
        position_amount: Position amount (``pa``).
        entry_price: Entry price (``ep``).
        breakeven_price: Breakeven price (``bep``).
        accumulated_realized: (Pre-fee) accumulated realized PnL (``cr``).
        unrealized_pnl: Unrealized PnL (``up``).
        margin_type: ``isolated`` or ``cross`` (``mt``).
        isolated_wallet: Isolated wallet, if isolated (``iw``).
        position_side: Position side (``ps``).
        margin_asset: Margin asset of the position, e.g. ``USDT`` or ``USDC`` (``ma``; carried
            by live frames, not in the docs sample; ``None`` in frames without it).
    """

    symbol: str = field(metadata=_key("s"))
    position_amount: Decimal = field(metadata=_key("pa"))
    entry_price: Decimal = field(metadata=_key("ep"))
    breakeven_price: Optional[Decimal] = field(default=None, metadata=_key("bep"))
    accumulated_realized: Optional[Decimal] = field(default=None, metadata=_key("cr"))
    unrealized_pnl: Decimal = field(metadata=_key("up"))
    margin_type: Union[MarginType, str] = field(metadata=_key("mt"))
    isolated_wallet: Optional[Decimal] = field(default=None, metadata=_key("iw"))
    position_side: Union[PositionSide, str] = field(metadata=_key("ps"))
    margin_asset: Optional[str] = field(default=None, metadata=_key("ma"))


@define(frozen=True, kw_only=True)
class AccountUpdateData:
    """The ``a`` object of ``ACCOUNT_UPDATE``.

    A funding fee on a crossed position carries only ``balances`` and ``symbol`` (no
    ``positions``); on an isolated position it also lists that position.

    Attributes:
        reason: Why the account changed (``m``).
        symbol: Symbol of a ``FUNDING_FEE`` update (``S``).
        balances: Changed balances (``B``).
        positions: Changed positions only (``P``).
    """

    reason: Union[AccountUpdateReason, str] = field(metadata=_key("m"))
    symbol: Optional[str] = field(default=None, metadata=_key("S"))
    balances: list[Balance] = field(metadata=_key("B"))
    positions: Optional[list[Position]] = field(default=None, metadata=_key("P"))


@define(frozen=True, kw_only=True)
class AccountUpdate(_TypedEvent):
    """``ACCOUNT_UPDATE``: balances or positions changed (not for unfilled or cancelled orders).

    Attributes:
        event_type: ``"ACCOUNT_UPDATE"``.
        event_time: Event time (ms).
        transaction_time: Transaction time (``T``).
        data: What changed (``a``).
    """

    transaction_time: int = field(metadata=_key("T"))
    data: AccountUpdateData = field(metadata=_key("a"))


# --------------------------------------------------------------------------------------------
# MARGIN_CALL


@define(frozen=True, kw_only=True)
class MarginCallPosition:
    """A position at risk in ``MARGIN_CALL`` (``p[]``).

    Attributes:
        symbol: Symbol (``s``).
        position_side: Position side (``ps``).
        position_amount: Position amount (``pa``).
        margin_type: Margin type (``mt``; ``CROSSED`` decodes to ``MarginType.CROSS``).
        isolated_wallet: Isolated wallet, if isolated (``iw``).
        mark_price: Mark price (``mp``).
        unrealized_pnl: Unrealized PnL (``up``).
        maintenance_margin_required: Maintenance margin required (``mm``).
    """

    symbol: str = field(metadata=_key("s"))
    position_side: Union[PositionSide, str] = field(metadata=_key("ps"))
    position_amount: Decimal = field(metadata=_key("pa"))
    margin_type: Union[MarginType, str] = field(metadata=_key("mt"))
    isolated_wallet: Optional[Decimal] = field(default=None, metadata=_key("iw"))
    mark_price: Decimal = field(metadata=_key("mp"))
    unrealized_pnl: Decimal = field(metadata=_key("up"))
    maintenance_margin_required: Decimal = field(metadata=_key("mm"))


@define(frozen=True, kw_only=True)
class MarginCall(_TypedEvent):
    """``MARGIN_CALL``: risk guidance; the position may already be liquidated.

    Attributes:
        event_type: ``"MARGIN_CALL"``.
        event_time: Event time (ms).
        cross_wallet_balance: Cross wallet balance, for a crossed-position call only (``cw``).
        positions: Positions at risk (``p``).
    """

    cross_wallet_balance: Optional[Decimal] = field(default=None, metadata=_key("cw"))
    positions: list[MarginCallPosition] = field(metadata=_key("p"))


# --------------------------------------------------------------------------------------------
# ORDER_TRADE_UPDATE


@define(frozen=True, kw_only=True)
class OrderUpdate:
    """The order of an ``ORDER_TRADE_UPDATE`` (``o``).

    Liquidation orders have a ``client_order_id`` starting with ``autoclose-``, ADL orders
    ``adl_autoclose``, settlement orders ``settlement_autoclose-``.

    Attributes:
        symbol: Symbol (``s``).
        client_order_id: Client order id (``c``).
        side: Side (``S``).
        order_type: Order type, incl. ``LIQUIDATION`` (``o``).
        time_in_force: Time in force (``f``).
        original_quantity: Original quantity (``q``).
        original_price: Original price (``p``).
        average_price: Average price (``ap``).
        stop_price: Stop price; ignore for TRAILING_STOP_MARKET (``sp``).
        execution_type: ``NEW``, ``TRADE``, ``AMENDMENT``, ... (``x``).
        status: Order status (``X``); also readable as ``order_status``.
        order_id: Order id (``i``).
        modify_id: The ``modifyId`` of ``order.modify``, on ``AMENDMENT`` only (``M``).
        last_filled_quantity: Last filled quantity (``l``).
        filled_accumulated_quantity: Filled accumulated quantity (``z``).
        last_filled_price: Last filled price (``L``).
        commission_asset: Commission asset; absent without commission (``N``).
        commission: Commission; absent without commission (``n``).
        trade_time: Order trade time (``T``).
        trade_id: Trade id (``t``).
        bids_notional: Bids notional (``b``).
        ask_notional: Ask notional (``a``).
        is_maker: Whether this trade was the maker side (``m``).
        is_reduce_only: Reduce-only order (``R``).
        working_type: Stop price working type (``wt``).
        original_order_type: Original order type (``ot``).
        position_side: Position side (``ps``).
        close_all: Close-all conditional order (``cp``).
        activation_price: Activation price, trailing stop only (``AP``).
        callback_rate: Callback rate, trailing stop only (``cr``).
        price_protect: Price protection on (``pP``).
        si: Documented as "ignore" (``si``).
        ss: Documented as "ignore" (``ss``).
        realized_profit: Realized profit of the trade (``rp``).
        stp_mode: Self-trade prevention mode (``V``).
        price_match: Price match mode (``pm``).
        good_till_date: GTD auto-cancel time (``gtd``).
        expiry_reason: Expiry reason code (``er``): ``"0"`` none, ``"1"`` expired by STP, ``"2"``
            IOC remainder cancelled, ``"3"`` IOC remainder cancelled by STP, ``"4"`` knocked out
            by a higher-priority reduce-only order or would open a reversed position, ``"5"``
            expired at liquidation, ``"6"`` GTE condition unsatisfied, ``"7"`` symbol delisted,
            ``"8"`` initial order expired after stop triggered, ``"9"`` market order remainder
            cancelled.
    """

    symbol: str = field(metadata=_key("s"))
    client_order_id: str = field(metadata=_key("c"))
    side: Union[Side, str] = field(metadata=_key("S"))
    order_type: Union[OrderType, str] = field(metadata=_key("o"))
    time_in_force: Union[TimeInForce, str] = field(metadata=_key("f"))
    original_quantity: Decimal = field(metadata=_key("q"))
    original_price: Decimal = field(metadata=_key("p"))
    average_price: Decimal = field(metadata=_key("ap"))
    stop_price: Optional[Decimal] = field(default=None, metadata=_key("sp"))
    execution_type: Union[ExecutionType, str] = field(metadata=_key("x"))
    status: Union[OrderStatus, str] = field(metadata=_key("X"))
    order_id: int = field(metadata=_key("i"))
    modify_id: Optional[int] = field(default=None, metadata=_key("M"))
    last_filled_quantity: Decimal = field(metadata=_key("l"))
    filled_accumulated_quantity: Decimal = field(metadata=_key("z"))
    last_filled_price: Decimal = field(metadata=_key("L"))
    commission_asset: Optional[str] = field(default=None, metadata=_key("N"))
    commission: Optional[Decimal] = field(default=None, metadata=_key("n"))
    trade_time: int = field(metadata=_key("T"))
    trade_id: int = field(metadata=_key("t"))
    bids_notional: Optional[Decimal] = field(default=None, metadata=_key("b"))
    ask_notional: Optional[Decimal] = field(default=None, metadata=_key("a"))
    is_maker: bool = field(metadata=_key("m"))
    is_reduce_only: bool = field(metadata=_key("R"))
    working_type: Optional[Union[WorkingType, str]] = field(default=None, metadata=_key("wt"))
    original_order_type: Optional[Union[OrderType, str]] = field(default=None, metadata=_key("ot"))
    position_side: Union[PositionSide, str] = field(metadata=_key("ps"))
    close_all: Optional[bool] = field(default=None, metadata=_key("cp"))
    activation_price: Optional[Decimal] = field(default=None, metadata=_key("AP"))
    callback_rate: Optional[Decimal] = field(default=None, metadata=_key("cr"))
    price_protect: Optional[bool] = field(default=None, metadata=_key("pP"))
    si: Optional[int] = None
    ss: Optional[int] = None
    realized_profit: Optional[Decimal] = field(default=None, metadata=_key("rp"))
    stp_mode: Optional[Union[SelfTradePreventionMode, str]] = field(
        default=None, metadata=_key("V")
    )
    price_match: Optional[Union[PriceMatch, str]] = field(default=None, metadata=_key("pm"))
    good_till_date: Optional[int] = field(default=None, metadata=_key("gtd"))
    expiry_reason: Optional[str] = field(default=None, metadata=_key("er"))

    @property
    def order_status(self) -> Optional[Union[OrderStatus, str]]:
        """The order status (``X``); the same as :attr:`status`."""
        return self.status


@define(frozen=True, kw_only=True)
class OrderTradeUpdate(_TypedEvent):
    """``ORDER_TRADE_UPDATE``: an order was created, filled, modified, cancelled or expired.

    Attributes:
        event_type: ``"ORDER_TRADE_UPDATE"``.
        event_time: Event time (ms).
        transaction_time: Transaction time (``T``).
        order: The order (``o``).
    """

    transaction_time: int = field(metadata=_key("T"))
    order: OrderUpdate = field(metadata=_key("o"))


# --------------------------------------------------------------------------------------------
# TRADE_LITE


@define(frozen=True, kw_only=True)
class TradeLite(_TypedEvent):
    """``TRADE_LITE``: a faster, smaller notice of a trade (``TRADE`` executions only).

    Attributes:
        event_type: ``"TRADE_LITE"``.
        event_time: Event time (ms).
        transaction_time: Transaction time (``T``).
        symbol: Symbol (``s``).
        original_quantity: Original quantity (``q``).
        original_price: Original price (``p``).
        is_maker: Whether this trade was the maker side (``m``).
        client_order_id: Client order id (``c``).
        side: Side (``S``).
        last_filled_price: Last filled price (``L``).
        last_filled_quantity: Last filled quantity (``l``).
        trade_id: Trade id (``t``).
        order_id: Order id (``i``).
    """

    transaction_time: int = field(metadata=_key("T"))
    symbol: str = field(metadata=_key("s"))
    original_quantity: Decimal = field(metadata=_key("q"))
    original_price: Decimal = field(metadata=_key("p"))
    is_maker: bool = field(metadata=_key("m"))
    client_order_id: str = field(metadata=_key("c"))
    side: Union[Side, str] = field(metadata=_key("S"))
    last_filled_price: Decimal = field(metadata=_key("L"))
    last_filled_quantity: Decimal = field(metadata=_key("l"))
    trade_id: int = field(metadata=_key("t"))
    order_id: int = field(metadata=_key("i"))


# --------------------------------------------------------------------------------------------
# ACCOUNT_CONFIG_UPDATE


@define(frozen=True, kw_only=True)
class LeverageUpdate:
    """A leverage change (``ac``).

    Attributes:
        symbol: Symbol (``s``).
        leverage: New leverage (``l``).
    """

    symbol: str = field(metadata=_key("s"))
    leverage: int = field(metadata=_key("l"))


@define(frozen=True, kw_only=True)
class MultiAssetsUpdate:
    """A multi-assets mode change (``ai``).

    Attributes:
        multi_assets_mode: Whether multi-assets mode is now on (``j``).
    """

    multi_assets_mode: bool = field(metadata=_key("j"))


@define(frozen=True, kw_only=True)
class AccountConfigUpdate(_TypedEvent):
    """``ACCOUNT_CONFIG_UPDATE``: leverage changed (``leverage``) or multi-assets mode changed.

    One of ``leverage`` and ``multi_assets`` is set, the other is ``None``.

    Attributes:
        event_type: ``"ACCOUNT_CONFIG_UPDATE"``.
        event_time: Event time (ms).
        transaction_time: Transaction time (``T``).
        leverage: The leverage change (``ac``).
        multi_assets: The multi-assets mode change (``ai``).
    """

    transaction_time: int = field(metadata=_key("T"))
    leverage: Optional[LeverageUpdate] = field(default=None, metadata=_key("ac"))
    multi_assets: Optional[MultiAssetsUpdate] = field(default=None, metadata=_key("ai"))
