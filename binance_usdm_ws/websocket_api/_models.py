"""Typed results of the WebSocket API methods.

Every model is a frozen, keyword-only attrs class. A field Binance always sends (the docs'
response tables and examples: an order's ids, symbol, status, side, type, price and quantities, a
ticker's price, the listenKey, ...) is typed without ``None`` and has no default; every other
field is ``Optional`` and defaults to ``None``, since Binance removes and adds fields without
notice. An unknown field is ignored. A required field that is missing or does not fit makes the
reply raise :class:`~binance_usdm_ws.errors.DecodeError` (with the whole reply in ``raw``) when
it is decoded: never a ``None`` its type denies (see ``Response``). Money, prices and
quantities are :class:`~decimal.Decimal` (exact: ``"0.10"`` stays ``Decimal("0.10")``); ids and
times are ``int`` (times in ms, or µs with ``timeUnit=MICROSECOND``); enum fields hold the enum
member, or the raw string when the value is new (see :mod:`binance_usdm_ws.enums`).

Attribute names are the wire keys in snake_case (``listenKey`` → ``listen_key``) unless noted.

Model names follow one rule: the model of a method's ``result`` — or of each item of a list
result — is ``<Name>Result`` (``ListenKeyResult``, ``EmptyResult``, ``OrderResult``,
``OrderBookResult``, ``PositionRiskResult``, ``SessionStatusResult``, ...), so that the plain names
stay free for the request builders, which carry the Go connector's request names (``OrderBook``,
``AccountInformation``, ``SessionStatus``). Parts nested inside a result keep plain names
(``PriceLevel``, ``RateLimit``, ``AccountAsset``, ``AccountPosition``). The whole reply is a
``WsApiResponse[...]``, also available under the Go connector's response names
(``NewOrderResponse`` = ``WsApiResponse[OrderResult]``).

Fields that hold a secret (a listenKey, an API key) show only their first four characters in
``repr`` (``ListenKeyResult(listen_key='abcd…')``); the attribute holds the whole value.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Generic, Optional, TypeVar, Union

from attrs import define, field

from .._core._models import PriceLevel
from .._core._redact import SECRET, mask_repr
from ..enums import (
    AlgoOrderType,
    AlgoStatus,
    AlgoType,
    MarginType,
    OrderStatus,
    OrderType,
    PositionSide,
    PriceMatch,
    RateLimitInterval,
    RateLimitType,
    SelfTradePreventionMode,
    Side,
    TimeInForce,
    WorkingType,
)

__all__ = [
    "AccountAsset",
    "AccountBalanceResult",
    "AccountInformationResponse",
    "AccountInformationResult",
    "AccountInformationV2Response",
    "AccountInformationV2Result",
    "AccountPosition",
    "AccountPositionV2",
    "AlgoOrderCancelResult",
    "AlgoOrderResult",
    "BookTickerResult",
    "CancelAlgoOrderResponse",
    "CancelOrderResponse",
    "CloseUserDataStreamResponse",
    "EmptyResult",
    "ErrorBody",
    "FuturesAccountBalanceResponse",
    "FuturesAccountBalanceV2Response",
    "KeepaliveUserDataStreamResponse",
    "ListenKeyResult",
    "ModifyOrderResponse",
    "NewAlgoOrderResponse",
    "NewOrderResponse",
    "OrderBookResponse",
    "OrderBookResult",
    "OrderResult",
    "PositionInformationResponse",
    "PositionInformationV2Response",
    "PositionRiskResult",
    "PositionRiskV2Result",
    "PriceLevel",
    "PriceTickerResult",
    "QueryOrderResponse",
    "RateLimit",
    "SessionLogonResponse",
    "SessionLogoutResponse",
    "SessionStatusResponse",
    "SessionStatusResult",
    "StartUserDataStreamResponse",
    "SymbolOrderBookTickerResponse",
    "SymbolPriceTickerResponse",
    "WsApiResponse",
]

T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# Envelope


@define(frozen=True, kw_only=True)
class RateLimit:
    """One rate limiter's state, from a reply's ``rateLimits``.

    Attributes:
        rate_limit_type: ``REQUEST_WEIGHT`` or ``ORDERS``.
        interval: Unit of the window: ``SECOND``, ``MINUTE`` or ``DAY``.
        interval_num: Number of units in the window (``10`` with ``SECOND`` = 10 s).
        limit: Maximum count in the window.
        count: Count used so far in the window.
    """

    rate_limit_type: Optional[Union[RateLimitType, str]] = None
    interval: Optional[Union[RateLimitInterval, str]] = None
    interval_num: Optional[int] = None
    limit: Optional[int] = None
    count: Optional[int] = None


@define(frozen=True, kw_only=True)
class ErrorBody:
    """The ``error`` object of a failed response.

    Attributes:
        code: Binance error code (negative, e.g. ``-1102``).
        msg: Human-readable message; may vary for the same code.
    """

    code: Optional[int] = None
    msg: Optional[str] = None


@define(frozen=True, kw_only=True)
class WsApiResponse(Generic[T]):
    """A whole successful WS API response: ``id``, ``status``, typed ``result`` and ``rateLimits``.

    Attributes:
        id: The request id, echoed by the server.
        status: HTTP-like status (200 on success).
        result: The method's result, decoded into its model (or a list of models). Never
            ``None``: a successful reply always has one (required, keyword-only; decoding a
            reply without it raises ``DecodeError``).
        rate_limits: Rate limiter states, when the server sent them.
    """

    id: Union[str, int, None] = None
    status: Optional[int] = None
    result: T = field(kw_only=True)
    rate_limits: Optional[list[RateLimit]] = None


# --------------------------------------------------------------------------------------------
# userDataStream.*


@define(frozen=True, kw_only=True)
class ListenKeyResult:
    """Result of ``userDataStream.start`` and ``userDataStream.ping``.

    Attributes:
        listen_key: The key to open ``<streams base>/private/ws?listenKey=<listenKey>`` with
            (the form measured delivering; see ``ConfigurationWebsocketStreams.user_data_url``);
            valid for 60 minutes after the last start or ping. A bearer secret: shortened in
            ``repr``.
    """

    listen_key: str = field(repr=mask_repr, metadata=SECRET)


@define(frozen=True, kw_only=True)
class EmptyResult:
    """Result of ``userDataStream.stop``: an empty object (extra keys are ignored)."""


# --------------------------------------------------------------------------------------------
# Orders: order.place, order.modify, order.cancel, order.status


@define(frozen=True, kw_only=True)
class OrderResult:
    """An order, as returned by ``order.place``, ``.modify``, ``.cancel`` and ``.status``.

    One model for the four methods: each fills the fields it has. ``avg_price`` and ``cum_quote``
    were removed from the place/modify/cancel results in 2026 but older servers and ``order.status``
    still send them.

    Attributes:
        order_id: Order id (increments per symbol).
        symbol: Symbol, e.g. ``BTCUSDT``.
        status: Order status.
        client_order_id: Client order id.
        price: Order price.
        avg_price: Average fill price (older results and ``order.status``).
        orig_qty: Original quantity.
        executed_qty: Executed quantity.
        cum_qty: Cumulative filled quantity.
        cum_quote: Cumulative filled quote (older results and ``order.status``).
        time_in_force: Time in force.
        type: Order type.
        reduce_only: Reduce-only order.
        close_position: Close-all conditional order.
        side: Order side.
        position_side: Position side.
        stop_price: Stop price (conditional orders).
        working_type: Price the stop price is compared with.
        price_protect: Price protection on.
        orig_type: Original order type.
        price_match: Price match mode.
        self_trade_prevention_mode: Self-trade prevention mode.
        good_till_date: Auto-cancel time of a ``GTD`` order (0 otherwise).
        update_time: Last update time.
        activate_price: Activation price (trailing stop orders).
        price_rate: Callback rate (trailing stop orders).
        time: Creation time (``order.status``).
        modify_id: The ``modifyId`` given to ``order.modify``, echoed.
    """

    order_id: int
    symbol: str
    status: Union[OrderStatus, str]
    client_order_id: str
    price: Decimal
    avg_price: Optional[Decimal] = None
    orig_qty: Decimal
    executed_qty: Decimal
    cum_qty: Optional[Decimal] = None
    cum_quote: Optional[Decimal] = None
    time_in_force: Union[TimeInForce, str]
    type: Union[OrderType, str]
    reduce_only: Optional[bool] = None
    close_position: Optional[bool] = None
    side: Union[Side, str]
    position_side: Optional[Union[PositionSide, str]] = None
    stop_price: Optional[Decimal] = None
    working_type: Optional[Union[WorkingType, str]] = None
    price_protect: Optional[bool] = None
    orig_type: Optional[Union[OrderType, str]] = None
    price_match: Optional[Union[PriceMatch, str]] = None
    self_trade_prevention_mode: Optional[Union[SelfTradePreventionMode, str]] = None
    good_till_date: Optional[int] = None
    update_time: int
    activate_price: Optional[Decimal] = None
    price_rate: Optional[Decimal] = None
    time: Optional[int] = None
    modify_id: Optional[int] = None


# --------------------------------------------------------------------------------------------
# Positions: account.position, v2/account.position


@define(frozen=True, kw_only=True)
class _PositionRiskBase:
    """Fields shared by ``account.position`` (V1) and ``v2/account.position`` items.

    Attributes:
        symbol: Symbol.
        position_side: Position side.
        position_amt: Position amount (negative when short).
        entry_price: Entry price.
        break_even_price: Break-even price.
        mark_price: Mark price.
        unrealized_profit: Unrealized PnL (wire ``unRealizedProfit``).
        liquidation_price: Liquidation price.
        isolated_margin: Isolated margin.
        notional: Notional value.
        isolated_wallet: Isolated wallet balance.
        update_time: Last update time.
    """

    symbol: str
    position_side: Union[PositionSide, str]
    position_amt: Decimal
    entry_price: Decimal
    break_even_price: Optional[Decimal] = None
    mark_price: Decimal
    unrealized_profit: Decimal = field(metadata={"key": "unRealizedProfit"})
    liquidation_price: Optional[Decimal] = None
    isolated_margin: Optional[Decimal] = None
    notional: Optional[Decimal] = None
    isolated_wallet: Optional[Decimal] = None
    update_time: Optional[int] = None


@define(frozen=True, kw_only=True)
class PositionRiskResult(_PositionRiskBase):
    """One position of ``account.position`` (V1).

    Attributes:
        symbol, position_side, position_amt, entry_price, break_even_price, mark_price,
        unrealized_profit, liquidation_price, isolated_margin, notional, isolated_wallet,
        update_time: As in every position item (see ``PositionRiskV2Result``).
        leverage: Leverage (a string of digits on the wire).
        max_notional_value: Maximum notional at this leverage.
        margin_type: ``isolated`` or ``cross``.
        is_auto_add_margin: Auto add margin; the wire sends the STRING ``"false"``/``"true"``,
            decoded to a bool.
    """

    leverage: Optional[int] = None
    max_notional_value: Optional[Decimal] = None
    margin_type: Optional[Union[MarginType, str]] = None
    is_auto_add_margin: Optional[bool] = None


@define(frozen=True, kw_only=True)
class PositionRiskV2Result(_PositionRiskBase):
    """One position of ``v2/account.position`` (only symbols with a position or open orders).

    Attributes:
        symbol: Symbol.
        position_side: Position side.
        position_amt: Position amount (negative when short).
        entry_price: Entry price.
        break_even_price: Break-even price.
        mark_price: Mark price.
        unrealized_profit: Unrealized PnL (wire ``unRealizedProfit``).
        liquidation_price: Liquidation price.
        isolated_margin: Isolated margin.
        notional: Notional value.
        isolated_wallet: Isolated wallet balance.
        update_time: Last update time.
        margin_asset: Margin asset, e.g. ``USDT``.
        initial_margin: Initial margin at the current mark price.
        maint_margin: Maintenance margin.
        position_initial_margin: Initial margin of the position.
        open_order_initial_margin: Initial margin of open orders.
        adl: Auto-deleverage quantile.
        bid_notional: Notional of open bids.
        ask_notional: Notional of open asks.
    """

    margin_asset: Optional[str] = None
    initial_margin: Optional[Decimal] = None
    maint_margin: Optional[Decimal] = None
    position_initial_margin: Optional[Decimal] = None
    open_order_initial_margin: Optional[Decimal] = None
    adl: Optional[int] = None
    bid_notional: Optional[Decimal] = None
    ask_notional: Optional[Decimal] = None


# --------------------------------------------------------------------------------------------
# Algo orders: algoOrder.place, algoOrder.cancel


@define(frozen=True, kw_only=True)
class AlgoOrderResult:
    """A conditional (algo) order, as returned by ``algoOrder.place``.

    Attributes:
        algo_id: Algo order id.
        client_algo_id: Client algo id.
        algo_type: ``CONDITIONAL``.
        order_type: Conditional order type (``STOP``, ``TAKE_PROFIT_MARKET``, ...).
        symbol: Symbol.
        side: Order side.
        position_side: Position side.
        time_in_force: Time in force.
        quantity: Quantity.
        algo_status: Algo order status.
        trigger_price: Trigger price.
        price: Order price (for ``STOP``/``TAKE_PROFIT``).
        iceberg_quantity: Iceberg quantity (``null`` in practice).
        self_trade_prevention_mode: Self-trade prevention mode.
        working_type: Price the trigger price is compared with.
        price_match: Price match mode.
        close_position: Close-all order.
        price_protect: Price protection on.
        reduce_only: Reduce-only order.
        create_time: Creation time.
        update_time: Last update time.
        trigger_time: Trigger time (0 before trigger).
        good_till_date: Auto-cancel time of a ``GTD`` order (0 otherwise).
    """

    algo_id: int
    client_algo_id: str
    algo_type: Union[AlgoType, str]
    order_type: Union[AlgoOrderType, str]
    symbol: str
    side: Union[Side, str]
    position_side: Optional[Union[PositionSide, str]] = None
    time_in_force: Optional[Union[TimeInForce, str]] = None
    quantity: Optional[Decimal] = None
    algo_status: Union[AlgoStatus, str]
    trigger_price: Optional[Decimal] = None
    price: Optional[Decimal] = None
    iceberg_quantity: Optional[Decimal] = None
    self_trade_prevention_mode: Optional[Union[SelfTradePreventionMode, str]] = None
    working_type: Optional[Union[WorkingType, str]] = None
    price_match: Optional[Union[PriceMatch, str]] = None
    close_position: Optional[bool] = None
    price_protect: Optional[bool] = None
    reduce_only: Optional[bool] = None
    create_time: Optional[int] = None
    update_time: Optional[int] = None
    trigger_time: Optional[int] = None
    good_till_date: Optional[int] = None


@define(frozen=True, kw_only=True)
class AlgoOrderCancelResult:
    """Result of ``algoOrder.cancel``.

    Attributes:
        algo_id: Algo order id.
        client_algo_id: Client algo id.
        code: Outcome code; a STRING here (``"200"``), unlike error codes.
        msg: Outcome message (``"success"``).
    """

    algo_id: int
    client_algo_id: str
    code: Optional[str] = None
    msg: Optional[str] = None


# --------------------------------------------------------------------------------------------
# Account: account.balance, v2/account.balance, account.status, v2/account.status


@define(frozen=True, kw_only=True)
class AccountBalanceResult:
    """One asset of ``account.balance`` / ``v2/account.balance``.

    Attributes:
        account_alias: Unique account code.
        asset: Asset name, e.g. ``USDT``.
        balance: Wallet balance.
        cross_wallet_balance: Crossed wallet balance.
        cross_un_pnl: Unrealized PnL of crossed positions.
        available_balance: Available balance.
        max_withdraw_amount: Maximum amount for transfer out.
        margin_available: Whether the asset can be used as margin in multi-assets mode.
        update_time: Last update time.
    """

    account_alias: Optional[str] = None
    asset: str
    balance: Decimal
    cross_wallet_balance: Optional[Decimal] = None
    cross_un_pnl: Optional[Decimal] = None
    available_balance: Decimal
    max_withdraw_amount: Optional[Decimal] = None
    margin_available: Optional[bool] = None
    update_time: Optional[int] = None


@define(frozen=True, kw_only=True)
class AccountAsset:
    """One asset of ``account.status`` / ``v2/account.status``.

    Attributes:
        asset: Asset name.
        wallet_balance: Wallet balance.
        unrealized_profit: Unrealized profit.
        margin_balance: Margin balance.
        maint_margin: Maintenance margin required.
        initial_margin: Total initial margin required at the current mark price.
        position_initial_margin: Initial margin required for positions.
        open_order_initial_margin: Initial margin required for open orders.
        cross_wallet_balance: Crossed wallet balance.
        cross_un_pnl: Unrealized profit of crossed positions.
        available_balance: Available balance.
        max_withdraw_amount: Maximum amount for transfer out.
        margin_available: Whether the asset can be used as margin in multi-assets mode.
        update_time: Last update time.
    """

    asset: str
    wallet_balance: Decimal
    unrealized_profit: Optional[Decimal] = None
    margin_balance: Decimal
    maint_margin: Optional[Decimal] = None
    initial_margin: Optional[Decimal] = None
    position_initial_margin: Optional[Decimal] = None
    open_order_initial_margin: Optional[Decimal] = None
    cross_wallet_balance: Optional[Decimal] = None
    cross_un_pnl: Optional[Decimal] = None
    available_balance: Decimal
    max_withdraw_amount: Optional[Decimal] = None
    margin_available: Optional[bool] = None
    update_time: Optional[int] = None


@define(frozen=True, kw_only=True)
class AccountPosition:
    """One position of ``account.status`` (V1 lists every symbol).

    Attributes:
        symbol: Symbol.
        position_side: Position side.
        position_amt: Position amount.
        initial_margin: Initial margin required at the current mark price.
        maint_margin: Maintenance margin required.
        unrealized_profit: Unrealized profit.
        position_initial_margin: Initial margin required for the position.
        open_order_initial_margin: Initial margin required for open orders.
        leverage: Current leverage.
        isolated: Whether the position is isolated.
        entry_price: Average entry price.
        break_even_price: Break-even price.
        max_notional: Maximum available notional at the current leverage.
        bid_notional: Notional of open bids.
        ask_notional: Notional of open asks.
        update_time: Last update time.
    """

    symbol: str
    position_side: Union[PositionSide, str]
    position_amt: Decimal
    initial_margin: Optional[Decimal] = None
    maint_margin: Optional[Decimal] = None
    unrealized_profit: Optional[Decimal] = None
    position_initial_margin: Optional[Decimal] = None
    open_order_initial_margin: Optional[Decimal] = None
    leverage: Optional[int] = None
    isolated: Optional[bool] = None
    entry_price: Optional[Decimal] = None
    break_even_price: Optional[Decimal] = None
    max_notional: Optional[Decimal] = None
    bid_notional: Optional[Decimal] = None
    ask_notional: Optional[Decimal] = None
    update_time: Optional[int] = None


@define(frozen=True, kw_only=True)
class AccountPositionV2:
    """One position of ``v2/account.status`` (only symbols with a position or open orders).

    Attributes:
        symbol: Symbol.
        position_side: Position side.
        position_amt: Position amount.
        unrealized_profit: Unrealized profit.
        isolated_margin: Isolated margin.
        notional: Notional value.
        isolated_wallet: Isolated wallet balance.
        initial_margin: Initial margin required at the current mark price.
        maint_margin: Maintenance margin required.
        update_time: Last update time.
    """

    symbol: str
    position_side: Union[PositionSide, str]
    position_amt: Decimal
    unrealized_profit: Optional[Decimal] = None
    isolated_margin: Optional[Decimal] = None
    notional: Optional[Decimal] = None
    isolated_wallet: Optional[Decimal] = None
    initial_margin: Optional[Decimal] = None
    maint_margin: Optional[Decimal] = None
    update_time: Optional[int] = None


@define(frozen=True, kw_only=True)
class _AccountTotals:
    """Totals shared by ``account.status`` and ``v2/account.status``.

    In single-asset mode the ``total_*`` fields are in USDT; in multi-assets mode they are the
    USD value of all assets.

    Attributes:
        total_initial_margin: Total initial margin required at the current mark price.
        total_maint_margin: Total maintenance margin required.
        total_wallet_balance: Total wallet balance.
        total_unrealized_profit: Total unrealized profit.
        total_margin_balance: Total margin balance.
        total_position_initial_margin: Initial margin required for positions.
        total_open_order_initial_margin: Initial margin required for open orders.
        total_cross_wallet_balance: Crossed wallet balance.
        total_cross_un_pnl: Unrealized profit of crossed positions.
        available_balance: Available balance.
        max_withdraw_amount: Maximum amount for transfer out.
        assets: Per-asset details.
    """

    total_initial_margin: Optional[Decimal] = None
    total_maint_margin: Optional[Decimal] = None
    total_wallet_balance: Decimal
    total_unrealized_profit: Decimal
    total_margin_balance: Decimal
    total_position_initial_margin: Optional[Decimal] = None
    total_open_order_initial_margin: Optional[Decimal] = None
    total_cross_wallet_balance: Optional[Decimal] = None
    total_cross_un_pnl: Optional[Decimal] = None
    available_balance: Decimal
    max_withdraw_amount: Optional[Decimal] = None
    assets: list[AccountAsset]


@define(frozen=True, kw_only=True)
class AccountInformationV2Result(_AccountTotals):
    """Result of ``v2/account.status``: the account totals (``total_*``, ``available_balance``,
    ``max_withdraw_amount``, ``assets``) and ``positions``, only those with an amount or open
    orders. In single-asset mode totals are in USDT; in multi-assets mode, the USD value of
    all assets.
    """

    positions: list[AccountPositionV2]


@define(frozen=True, kw_only=True)
class AccountInformationResult(_AccountTotals):
    """Result of ``account.status``: the account totals (``total_*``, ``available_balance``,
    ``max_withdraw_amount``, ``assets``), ``positions`` of every symbol, and:

    Attributes:
        fee_tier: Commission tier.
        can_trade: Whether the account may trade.
        can_deposit: Whether the account may transfer in.
        can_withdraw: Whether the account may transfer out.
        update_time: Last update time.
        multi_assets_margin: Whether multi-assets mode is on.
        trade_group_id: Trade group id (``-1`` if none).
        positions: Positions of every symbol.
    """

    fee_tier: Optional[int] = None
    can_trade: Optional[bool] = None
    can_deposit: Optional[bool] = None
    can_withdraw: Optional[bool] = None
    update_time: Optional[int] = None
    multi_assets_margin: Optional[bool] = None
    trade_group_id: Optional[int] = None
    positions: list[AccountPosition]


# --------------------------------------------------------------------------------------------
# Market data: depth, ticker.price, ticker.book


@define(frozen=True, kw_only=True)
class OrderBookResult:
    """Result of ``depth`` (RPI orders excluded).

    Attributes:
        last_update_id: Id of the last book update included.
        message_output_time: Message output time (wire ``E``).
        transaction_time: Transaction time (wire ``T``).
        bids: Bid levels, best first.
        asks: Ask levels, best first.
    """

    last_update_id: int
    message_output_time: Optional[int] = field(default=None, metadata={"key": "E"})
    transaction_time: Optional[int] = field(default=None, metadata={"key": "T"})
    bids: list[PriceLevel]
    asks: list[PriceLevel]


@define(frozen=True, kw_only=True)
class PriceTickerResult:
    """Latest price of one symbol (``ticker.price``; a list of them without ``symbol``).

    Attributes:
        symbol: Symbol.
        price: Latest price.
        time: Transaction time.
    """

    symbol: str
    price: Decimal
    time: int


@define(frozen=True, kw_only=True)
class BookTickerResult:
    """Best bid and ask of one symbol (``ticker.book``; a list of them without ``symbol``).

    Attributes:
        last_update_id: Id of the last book update included.
        symbol: Symbol.
        bid_price: Best bid price.
        bid_qty: Quantity at the best bid.
        ask_price: Best ask price.
        ask_qty: Quantity at the best ask.
        time: Transaction time.
    """

    last_update_id: int
    symbol: str
    bid_price: Decimal
    bid_qty: Decimal
    ask_price: Decimal
    ask_qty: Decimal
    time: int


# --------------------------------------------------------------------------------------------
# Session: session.logon, session.status, session.logout


@define(frozen=True, kw_only=True)
class SessionStatusResult:
    """Result of ``session.logon``, ``session.status`` and ``session.logout``.

    Attributes:
        api_key: The API key the connection is authenticated with (``None`` when it is not);
            shortened in ``repr``.
        authorized_since: Time of the logon (``None`` when not authenticated).
        connected_since: Time the connection was opened.
        return_rate_limits: Whether responses carry ``rateLimits`` by default.
        server_time: Server time.
    """

    api_key: Optional[str] = field(default=None, repr=mask_repr, metadata=SECRET)
    authorized_since: Optional[int] = None
    connected_since: int
    return_rate_limits: Optional[bool] = None
    server_time: int


# --------------------------------------------------------------------------------------------
# Typed responses, named after the official Go connector's types. ``ticker.price`` and
# ``ticker.book`` answer one object with ``symbol`` and a list without: their result type is the
# union, which the converter decodes by looking at the JSON (a list or an object). A caller that
# knows which it asked for may structure ``PriceTickerResult`` or ``list[PriceTickerResult]``
# directly.

StartUserDataStreamResponse = WsApiResponse[ListenKeyResult]
KeepaliveUserDataStreamResponse = WsApiResponse[ListenKeyResult]
CloseUserDataStreamResponse = WsApiResponse[EmptyResult]
NewOrderResponse = WsApiResponse[OrderResult]
ModifyOrderResponse = WsApiResponse[OrderResult]
CancelOrderResponse = WsApiResponse[OrderResult]
QueryOrderResponse = WsApiResponse[OrderResult]
PositionInformationResponse = WsApiResponse[list[PositionRiskResult]]
PositionInformationV2Response = WsApiResponse[list[PositionRiskV2Result]]
NewAlgoOrderResponse = WsApiResponse[AlgoOrderResult]
CancelAlgoOrderResponse = WsApiResponse[AlgoOrderCancelResult]
FuturesAccountBalanceResponse = WsApiResponse[list[AccountBalanceResult]]
FuturesAccountBalanceV2Response = WsApiResponse[list[AccountBalanceResult]]
AccountInformationResponse = WsApiResponse[AccountInformationResult]
AccountInformationV2Response = WsApiResponse[AccountInformationV2Result]
OrderBookResponse = WsApiResponse[OrderBookResult]
SymbolPriceTickerResponse = WsApiResponse[Union[PriceTickerResult, list[PriceTickerResult]]]
SymbolOrderBookTickerResponse = WsApiResponse[Union[BookTickerResult, list[BookTickerResult]]]
SessionLogonResponse = WsApiResponse[SessionStatusResult]
SessionStatusResponse = WsApiResponse[SessionStatusResult]
SessionLogoutResponse = WsApiResponse[SessionStatusResult]
