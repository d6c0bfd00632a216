"""Typed events of the market-wide streams — composite and asset indexes, contract info, the
trading session — and of the all-market arrays (one item per frame, the list in ``.items``);
the union of every market stream event and the Go model of each class (:data:`GO_MODELS`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional, Union

from attrs import define, field

from ..._core._models import UnknownEvent, _key, _TypedEvent
from ._models import (
    AggregateTrade,
    BookTickerUpdate,
    ContinuousKlineUpdate,
    DepthUpdate,
    ForceOrder,
    KlineUpdate,
    MarkPriceUpdate,
    MiniTicker,
    Ticker,
    Trade,
    _Pair,
)

__all__ = [
    "GO_MODELS",
    "AssetIndexUpdate",
    "AssetIndexUpdates",
    "CompositeIndex",
    "CompositeIndexConstituent",
    "ContractBracket",
    "ContractInfo",
    "MarkPriceUpdates",
    "MarketStreamEvent",
    "MiniTickers",
    "Tickers",
    "TradingSession",
]


@define(frozen=True, kw_only=True)
class CompositeIndexConstituent:
    """One constituent of a composite index (``c[]``).

    Attributes:
        base_asset: Base asset (``b``).
        quote_asset: Quote asset (``q``).
        weight_in_quantity: Weight in quantity (``w``).
        weight_in_percentage: Weight in percentage (``W``).
        index_price: Index price (``i``).
    """

    base_asset: Optional[str] = field(default=None, metadata=_key("b"))
    quote_asset: Optional[str] = field(default=None, metadata=_key("q"))
    weight_in_quantity: Optional[Decimal] = field(default=None, metadata=_key("w"))
    weight_in_percentage: Optional[Decimal] = field(default=None, metadata=_key("W"))
    index_price: Optional[Decimal] = field(default=None, metadata=_key("i"))


@define(frozen=True, kw_only=True)
class CompositeIndex(_TypedEvent):
    """``<symbol>@compositeIndex``: a composite index and its constituents.

    Attributes:
        symbol: Symbol (``s``).
        price: Index price (``p``).
        asset_type: Asset type of the constituents (``C``).
        composition: Constituents (``c``).
    """

    symbol: str = field(metadata=_key("s"))
    price: Decimal = field(metadata=_key("p"))
    asset_type: Optional[str] = field(default=None, metadata=_key("C"))
    composition: Optional[list[CompositeIndexConstituent]] = field(default=None, metadata=_key("c"))


@define(frozen=True, kw_only=True)
class ContractBracket:
    """One notional bracket of a ``contractInfo`` event (``bks[]``).

    Attributes:
        bracket: Bracket number (``bs``).
        notional_floor: Floor notional of the bracket (``bnf``).
        notional_cap: Cap notional of the bracket (``bnc``).
        maintenance_ratio: Maintenance ratio (``mmr``).
        cum: Auxiliary number for a quick maintenance margin calculation (``cf``).
        min_leverage: Lowest leverage of the bracket (``mi``).
        max_leverage: Highest leverage of the bracket (``ma``).
    """

    bracket: Optional[int] = field(default=None, metadata=_key("bs"))
    notional_floor: Optional[Decimal] = field(default=None, metadata=_key("bnf"))
    notional_cap: Optional[Decimal] = field(default=None, metadata=_key("bnc"))
    maintenance_ratio: Optional[Decimal] = field(default=None, metadata=_key("mmr"))
    cum: Optional[Decimal] = field(default=None, metadata=_key("cf"))
    min_leverage: Optional[int] = field(default=None, metadata=_key("mi"))
    max_leverage: Optional[int] = field(default=None, metadata=_key("ma"))


@define(frozen=True, kw_only=True)
class ContractInfo(_Pair):
    """``!contractInfo``: a contract was listed, settled or its brackets changed.

    Attributes:
        symbol: Symbol (``s``).
        contract_type: Contract type (``ct``).
        delivery_date: Delivery date, ms (``dt``).
        onboard_date: Onboard date, ms (``ot``).
        contract_status: Contract status (``cs``).
        brackets: Notional brackets (``bks``; only when they changed).
    """

    symbol: str = field(metadata=_key("s"))
    contract_type: Optional[str] = field(default=None, metadata=_key("ct"))
    delivery_date: Optional[int] = field(default=None, metadata=_key("dt"))
    onboard_date: Optional[int] = field(default=None, metadata=_key("ot"))
    contract_status: str = field(metadata=_key("cs"))
    brackets: Optional[list[ContractBracket]] = field(default=None, metadata=_key("bks"))


@define(frozen=True, kw_only=True)
class AssetIndexUpdate(_TypedEvent):
    """One element of ``!assetIndex@arr`` (multi-assets mode collateral rates).

    Attributes:
        symbol: Asset index symbol (``s``).
        index_price: Index price (``i``).
        bid_buffer: Bid buffer (``b``).
        ask_buffer: Ask buffer (``a``).
        bid_rate: Bid rate (``B``).
        ask_rate: Ask rate (``A``).
        auto_exchange_bid_buffer: Auto exchange bid buffer (``q``).
        auto_exchange_ask_buffer: Auto exchange ask buffer (``g``).
        auto_exchange_bid_rate: Auto exchange bid rate (``Q``).
        auto_exchange_ask_rate: Auto exchange ask rate (``G``).
    """

    symbol: str = field(metadata=_key("s"))
    index_price: Decimal = field(metadata=_key("i"))
    bid_buffer: Decimal = field(metadata=_key("b"))
    ask_buffer: Decimal = field(metadata=_key("a"))
    bid_rate: Decimal = field(metadata=_key("B"))
    ask_rate: Decimal = field(metadata=_key("A"))
    auto_exchange_bid_buffer: Optional[Decimal] = field(default=None, metadata=_key("q"))
    auto_exchange_ask_buffer: Optional[Decimal] = field(default=None, metadata=_key("g"))
    auto_exchange_bid_rate: Optional[Decimal] = field(default=None, metadata=_key("Q"))
    auto_exchange_ask_rate: Optional[Decimal] = field(default=None, metadata=_key("G"))


@define(frozen=True, kw_only=True)
class TradingSession(_TypedEvent):
    """``tradingSession``: the trading session of a TradFi market (``e`` is ``EquityUpdate``,
    ``CommodityUpdate`` or a regional ``KR_``/``HK_``/``CN_EquityUpdate``).

    Attributes:
        start_time: Session start, ms (``t``).
        end_time: Session end, ms (``T``).
        session_type: Session type, e.g. ``OVERNIGHT`` (``S``).
    """

    start_time: int = field(metadata=_key("t"))
    end_time: int = field(metadata=_key("T"))
    session_type: str = field(metadata=_key("S"))


# ------------------------------------------------------------------------------ array streams


@define(frozen=True, kw_only=True)
class _Items:
    """Base of the array streams: one frame, its elements in ``items``, the list in ``raw``."""

    raw: list[Any] = field(factory=list, eq=False, repr=False)


@define(frozen=True, kw_only=True)
class MiniTickers(_Items):
    """``!miniTicker@arr``: the mini tickers that changed (one frame).

    Attributes:
        items: The tickers.
    """

    items: list[MiniTicker] = field(factory=list)


@define(frozen=True, kw_only=True)
class Tickers(_Items):
    """``!ticker@arr``: the tickers that changed (one frame).

    Attributes:
        items: The tickers.
    """

    items: list[Ticker] = field(factory=list)


@define(frozen=True, kw_only=True)
class MarkPriceUpdates(_Items):
    """``!markPrice@arr[@1s]``: mark prices of every symbol (one frame).

    Attributes:
        items: The mark prices.
    """

    items: list[MarkPriceUpdate] = field(factory=list)


@define(frozen=True, kw_only=True)
class AssetIndexUpdates(_Items):
    """``!assetIndex@arr``: asset indexes (one frame).

    Attributes:
        items: The asset indexes.
    """

    items: list[AssetIndexUpdate] = field(factory=list)


MarketStreamEvent = Union[
    AggregateTrade,
    Trade,
    MarkPriceUpdate,
    MarkPriceUpdates,
    KlineUpdate,
    ContinuousKlineUpdate,
    MiniTicker,
    MiniTickers,
    Ticker,
    Tickers,
    ForceOrder,
    BookTickerUpdate,
    DepthUpdate,
    CompositeIndex,
    ContractInfo,
    AssetIndexUpdate,
    AssetIndexUpdates,
    TradingSession,
    UnknownEvent,
]

#: Model → the Go connector's model(s) (``src/websocketstreams/models``). ``Trade`` has none:
#: ``<symbol>@trade`` is served live but in neither connector.
GO_MODELS: dict[type, tuple[str, ...]] = {
    AggregateTrade: ("AggregateTradeStreamsResponse",),
    ForceOrder: (
        "LiquidationOrderStreamsResponse",
        "AllMarketLiquidationOrderStreamsResponse",
    ),
    MiniTicker: ("IndividualSymbolMiniTickerStreamResponse",),
    MiniTickers: ("AllMarketMiniTickersStreamResponse",),
    Ticker: ("IndividualSymbolTickerStreamsResponse",),
    Tickers: ("AllMarketTickersStreamsResponse",),
    AssetIndexUpdates: ("AssetIndexResponse",),
    CompositeIndex: ("CompositeIndexSymbolInformationStreamsResponse",),
    ContinuousKlineUpdate: ("ContinuousContractKlineCandlestickStreamsResponse",),
    ContractInfo: ("ContractInfoStreamResponse",),
    KlineUpdate: ("KlineCandlestickStreamsResponse",),
    MarkPriceUpdate: ("MarkPriceStreamResponse",),
    MarkPriceUpdates: ("MarkPriceStreamForAllMarketResponse",),
    TradingSession: ("TradingSessionStreamResponse",),
    BookTickerUpdate: (
        "IndividualSymbolBookTickerStreamsResponse",
        "AllBookTickersStreamResponse",
    ),
    DepthUpdate: (
        "DiffBookDepthStreamsResponse",
        "PartialBookDepthStreamsResponse",
        "RpiDiffBookDepthStreamsResponse",
    ),
}
