"""Typed events of the market streams, decoded by the package's one converter.

Models follow the user data stream events (``websocket_streams.user_data``): frozen attrs
classes (keyword-only) with readable snake_case names, the one- or two-letter wire key declared
once on each field, money and quantities as exact ``Decimal``, and ``.raw`` holding the payload as
received (with any field this version does not model). A field every payload of the stream
carries (the docs' payload; ``e``, ``E``, the symbol, prices, quantities, ids, times) is typed
without ``None``; fields only some payloads carry (``ps``, ``st``, ``nq``, ``ap``, a contract's
brackets, ...) are ``Optional``. A payload whose required field is missing or does not fit
arrives as an :class:`~binance_usdm_ws.UnknownEvent` with ``raw`` and ``decode_problems``.

An array stream (``!ticker@arr``, ``!miniTicker@arr``, ``!markPrice@arr``, ``!assetIndex@arr``)
yields **one item per frame** holding the list (``.items``), as Go's ``Items``; each element keeps
its own ``.raw``.

The Go model of each class is in :data:`GO_MODELS` (and in the docs table).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Optional, Union

from attrs import define, field

from ..._core._models import PriceLevel, UnknownEvent, _key, _TypedEvent
from ...enums import OrderStatus, OrderType, Side, TimeInForce

__all__ = [
    "AggregateTrade",
    "BookTickerUpdate",
    "ContinuousKlineUpdate",
    "DepthUpdate",
    "ForceOrder",
    "Kline",
    "KlineUpdate",
    "LiquidationOrder",
    "MarkPriceUpdate",
    "MiniTicker",
    "Ticker",
    "Trade",
    "UnknownEvent",
]


@define(frozen=True, kw_only=True)
class _Pair(_TypedEvent):
    """Fields many payloads carry since the CM/UM integration.

    Attributes:
        pair: Pair (``ps``).
        st: Product line: 1 = USDⓈ-M, 2 = COIN-M (``st``).
    """

    pair: Optional[str] = field(default=None, metadata=_key("ps"))
    st: Optional[int] = field(default=None, metadata=_key("st"))


@define(frozen=True, kw_only=True)
class AggregateTrade(_Pair):
    """``<symbol>@aggTrade``: trades aggregated by price, side and time.

    Attributes:
        symbol: Symbol (``s``).
        aggregate_trade_id: Aggregate trade id (``a``).
        price: Price (``p``).
        quantity: Quantity, RPI orders included (``q``).
        normal_quantity: Quantity of normal trades, RPI orders excluded (``nq``; since
            2025-12-29, not in the docs sample; ``None`` in older frames).
        first_trade_id: First trade id (``f``).
        last_trade_id: Last trade id (``l``).
        trade_time: Trade time, ms (``T``).
        is_buyer_maker: The buyer was the maker (``m``).
    """

    symbol: str = field(metadata=_key("s"))
    aggregate_trade_id: int = field(metadata=_key("a"))
    price: Decimal = field(metadata=_key("p"))
    quantity: Decimal = field(metadata=_key("q"))
    normal_quantity: Optional[Decimal] = field(default=None, metadata=_key("nq"))
    first_trade_id: int = field(metadata=_key("f"))
    last_trade_id: int = field(metadata=_key("l"))
    trade_time: int = field(metadata=_key("T"))
    is_buyer_maker: bool = field(metadata=_key("m"))


@define(frozen=True, kw_only=True)
class Trade(_Pair):
    """``<symbol>@trade``: every fill, one frame each (not aggregated).

    Served live on ``/public`` though neither the USDⓈ-M docs nor the official connectors list
    it (``e`` = ``trade``).

    Placeholders: some frames carry price ``0`` and quantity ``0`` (and ``trade_type``
    ``"NA"``): a trade id spent without a published fill, not a trade. They arrive typed like
    any other frame; :attr:`is_placeholder` is ``True`` for them, so skip them before summing
    volumes or reading prices (``if not trade.is_placeholder: ...``). Their ``trade_id`` still
    counts, so a gap in ids is not a lost frame.

    Attributes:
        symbol: Symbol (``s``).
        trade_id: Trade id (``t``).
        price: Price (``p``; ``0`` in a placeholder).
        quantity: Quantity (``q``; ``0`` in a placeholder).
        trade_type: What filled, as on the wire (``X``): ``MARKET`` for a trade of the order
            book, ``RPI`` for a fill against an RPI order, ``NA`` in a placeholder; other
            projects report ``INSURANCE_FUND`` and ``ADL`` (not prints of the order book) too.
            Kept as a string: new values arrive as they are.
        trade_time: Trade time, ms (``T``).
        is_buyer_maker: The buyer was the maker (``m``).
    """

    symbol: str = field(metadata=_key("s"))
    trade_id: int = field(metadata=_key("t"))
    price: Decimal = field(metadata=_key("p"))
    quantity: Decimal = field(metadata=_key("q"))
    trade_type: Optional[str] = field(default=None, metadata=_key("X"))
    trade_time: int = field(metadata=_key("T"))
    is_buyer_maker: bool = field(metadata=_key("m"))

    @property
    def is_placeholder(self) -> bool:
        """Price and quantity are both ``0``: a trade id spent without a fill, not a trade."""
        return self.price == 0 and self.quantity == 0


@define(frozen=True, kw_only=True)
class MarkPriceUpdate(_Pair):
    """``<symbol>@markPrice[@1s]`` (and each element of ``!markPrice@arr``).

    Attributes:
        symbol: Symbol (``s``).
        mark_price: Mark price (``p``).
        index_price: Index price (``i``).
        estimated_settle_price: Estimated settle price (``P``; only useful in the last hour
            before settlement).
        funding_rate: Funding rate (``r``).
        average_price: Mark price moving average (``ap``).
        next_funding_time: Next funding time, ms (``T``).
    """

    symbol: str = field(metadata=_key("s"))
    mark_price: Decimal = field(metadata=_key("p"))
    index_price: Decimal = field(metadata=_key("i"))
    estimated_settle_price: Decimal = field(metadata=_key("P"))
    funding_rate: Decimal = field(metadata=_key("r"))
    average_price: Optional[Decimal] = field(default=None, metadata=_key("ap"))
    next_funding_time: int = field(metadata=_key("T"))


@define(frozen=True, kw_only=True)
class Kline:
    """The candle of a kline event (``k``).

    Attributes:
        start_time: Open time, ms (``t``).
        close_time: Close time, ms (``T``).
        symbol: Symbol (``s``; absent in continuous klines).
        interval: Interval (``i``).
        first_trade_id: First trade id (``f``).
        last_trade_id: Last trade id (``L``).
        open: Open price (``o``).
        close: Close (latest) price (``c``).
        high: High (``h``).
        low: Low (``l``).
        volume: Base asset volume (``v``).
        number_of_trades: Number of trades (``n``).
        is_closed: This candle is final (``x``); it arrives with the first update after
            ``close_time``.
        quote_volume: Quote asset volume (``q``).
        taker_buy_volume: Taker buy base asset volume (``V``).
        taker_buy_quote_volume: Taker buy quote asset volume (``Q``).
    """

    start_time: int = field(metadata=_key("t"))
    close_time: int = field(metadata=_key("T"))
    symbol: Optional[str] = field(default=None, metadata=_key("s"))
    interval: str = field(metadata=_key("i"))
    first_trade_id: int = field(metadata=_key("f"))
    last_trade_id: int = field(metadata=_key("L"))
    open: Decimal = field(metadata=_key("o"))
    close: Decimal = field(metadata=_key("c"))
    high: Decimal = field(metadata=_key("h"))
    low: Decimal = field(metadata=_key("l"))
    volume: Decimal = field(metadata=_key("v"))
    number_of_trades: int = field(metadata=_key("n"))
    is_closed: bool = field(metadata=_key("x"))
    quote_volume: Decimal = field(metadata=_key("q"))
    taker_buy_volume: Decimal = field(metadata=_key("V"))
    taker_buy_quote_volume: Decimal = field(metadata=_key("Q"))


@define(frozen=True, kw_only=True)
class KlineUpdate(_TypedEvent):
    """``<symbol>@kline_<interval>``.

    Attributes:
        symbol: Symbol (``s``).
        kline: The candle (``k``).
    """

    symbol: str = field(metadata=_key("s"))
    kline: Kline = field(metadata=_key("k"))


@define(frozen=True, kw_only=True)
class ContinuousKlineUpdate(_TypedEvent):
    """``<pair>_<contractType>@continuousKline_<interval>`` (``e`` = ``continuous_kline``).

    Attributes:
        pair: Pair (``ps``).
        contract_type: Contract type, upper case on the wire (``ct``).
        kline: The candle (``k``).
    """

    pair: str = field(metadata=_key("ps"))
    contract_type: str = field(metadata=_key("ct"))
    kline: Kline = field(metadata=_key("k"))


@define(frozen=True, kw_only=True)
class MiniTicker(_Pair):
    """``<symbol>@miniTicker`` (and each element of ``!miniTicker@arr``): rolling 24 h.

    Attributes:
        symbol: Symbol (``s``).
        close: Last price (``c``).
        open: Open price (``o``).
        high: High (``h``).
        low: Low (``l``).
        volume: Base asset volume (``v``).
        quote_volume: Quote asset volume (``q``).
    """

    symbol: str = field(metadata=_key("s"))
    close: Decimal = field(metadata=_key("c"))
    open: Decimal = field(metadata=_key("o"))
    high: Decimal = field(metadata=_key("h"))
    low: Decimal = field(metadata=_key("l"))
    volume: Decimal = field(metadata=_key("v"))
    quote_volume: Decimal = field(metadata=_key("q"))


@define(frozen=True, kw_only=True)
class Ticker(_Pair):
    """``<symbol>@ticker`` (and each element of ``!ticker@arr``): rolling 24 h statistics.

    Attributes:
        symbol: Symbol (``s``).
        price_change: Price change (``p``).
        price_change_percent: Price change percent (``P``).
        weighted_average_price: Weighted average price (``w``).
        last_price: Last price (``c``).
        last_quantity: Last quantity (``Q``).
        open: Open price (``o``).
        high: High (``h``).
        low: Low (``l``).
        volume: Base asset volume (``v``).
        quote_volume: Quote asset volume (``q``).
        open_time: Statistics open time, ms (``O``).
        close_time: Statistics close time, ms (``C``).
        first_trade_id: First trade id (``F``).
        last_trade_id: Last trade id (``L``).
        number_of_trades: Number of trades (``n``).
    """

    symbol: str = field(metadata=_key("s"))
    price_change: Decimal = field(metadata=_key("p"))
    price_change_percent: Decimal = field(metadata=_key("P"))
    weighted_average_price: Decimal = field(metadata=_key("w"))
    last_price: Decimal = field(metadata=_key("c"))
    last_quantity: Decimal = field(metadata=_key("Q"))
    open: Decimal = field(metadata=_key("o"))
    high: Decimal = field(metadata=_key("h"))
    low: Decimal = field(metadata=_key("l"))
    volume: Decimal = field(metadata=_key("v"))
    quote_volume: Decimal = field(metadata=_key("q"))
    open_time: int = field(metadata=_key("O"))
    close_time: int = field(metadata=_key("C"))
    first_trade_id: int = field(metadata=_key("F"))
    last_trade_id: int = field(metadata=_key("L"))
    number_of_trades: int = field(metadata=_key("n"))


@define(frozen=True, kw_only=True)
class LiquidationOrder:
    """The liquidation order of a ``forceOrder`` event (``o``).

    Attributes:
        symbol: Symbol (``s``).
        side: Side (``S``).
        order_type: Order type (``o``).
        time_in_force: Time in force (``f``).
        quantity: Original quantity (``q``).
        price: Price (``p``).
        average_price: Average price (``ap``).
        status: Order status (``X``).
        last_filled_quantity: Last filled quantity (``l``).
        filled_quantity: Accumulated filled quantity (``z``).
        trade_time: Trade time, ms (``T``).
        pair: Pair (``ps``; carried by live frames since 2026-10, not in the docs; ``None`` in
            older frames).
        st: Product line: 1 = USDⓈ-M, 2 = COIN-M (``st``; as ``pair``).
    """

    symbol: str = field(metadata=_key("s"))
    side: Union[Side, str] = field(metadata=_key("S"))
    order_type: Union[OrderType, str] = field(metadata=_key("o"))
    time_in_force: Union[TimeInForce, str] = field(metadata=_key("f"))
    quantity: Decimal = field(metadata=_key("q"))
    price: Decimal = field(metadata=_key("p"))
    average_price: Decimal = field(metadata=_key("ap"))
    status: Union[OrderStatus, str] = field(metadata=_key("X"))
    last_filled_quantity: Decimal = field(metadata=_key("l"))
    filled_quantity: Decimal = field(metadata=_key("z"))
    trade_time: int = field(metadata=_key("T"))
    pair: Optional[str] = field(default=None, metadata=_key("ps"))
    st: Optional[int] = field(default=None, metadata=_key("st"))


@define(frozen=True, kw_only=True)
class ForceOrder(_Pair):
    """``<symbol>@forceOrder`` and ``!forceOrder@arr``: the latest liquidation (one per frame).

    Attributes:
        order: The liquidation order (``o``).
    """

    order: LiquidationOrder = field(metadata=_key("o"))


@define(frozen=True, kw_only=True)
class BookTickerUpdate(_Pair):
    """``<symbol>@bookTicker`` and ``!bookTicker``: best bid and ask.

    Attributes:
        update_id: Order book update id (``u``).
        transaction_time: Transaction time, ms (``T``).
        symbol: Symbol (``s``).
        bid_price: Best bid price (``b``).
        bid_quantity: Best bid quantity (``B``).
        ask_price: Best ask price (``a``).
        ask_quantity: Best ask quantity (``A``).
    """

    update_id: int = field(metadata=_key("u"))
    transaction_time: int = field(metadata=_key("T"))
    symbol: str = field(metadata=_key("s"))
    bid_price: Decimal = field(metadata=_key("b"))
    bid_quantity: Decimal = field(metadata=_key("B"))
    ask_price: Decimal = field(metadata=_key("a"))
    ask_quantity: Decimal = field(metadata=_key("A"))


@define(frozen=True, kw_only=True)
class DepthUpdate(_Pair):
    """``<symbol>@depth[@speed]``, ``<symbol>@depth<levels>[@speed]`` and
    ``<symbol>@rpiDepth@500ms`` (``e`` = ``depthUpdate``).

    For a local book: ``first_update_id``/``final_update_id``/``previous_final_update_id``
    chain the diff events (``pu`` of one event is ``u`` of the previous one; futures ids are
    not contiguous). Quantities are absolute; 0 removes the level.

    Attributes:
        transaction_time: Transaction time, ms (``T``).
        symbol: Symbol (``s``).
        first_update_id: First update id in the event (``U``).
        final_update_id: Final update id in the event (``u``).
        previous_final_update_id: Final update id of the previous event (``pu``).
        bids: Bid levels to update (``b``).
        asks: Ask levels to update (``a``).
    """

    transaction_time: int = field(metadata=_key("T"))
    symbol: str = field(metadata=_key("s"))
    first_update_id: int = field(metadata=_key("U"))
    final_update_id: int = field(metadata=_key("u"))
    previous_final_update_id: int = field(metadata=_key("pu"))
    bids: list[PriceLevel] = field(metadata=_key("b"))
    asks: list[PriceLevel] = field(metadata=_key("a"))
