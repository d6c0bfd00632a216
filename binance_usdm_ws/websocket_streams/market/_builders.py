"""The 20 stream builders of the Go connector, and ``trade_streams`` (which Binance serves live
but neither connector has): templates, routes, models and cadences as data (base:
``_request.py``), grouped into the services ``market_api`` and ``public_api``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Union

from ..._core._params import STRING, Builds, Param
from ._enums import (
    ContinuousKlineInterval,
    ContractType,
    DepthLevels,
    DepthUpdateSpeed,
    KlineInterval,
    MarkPriceUpdateSpeed,
)
from ._market_wide_models import (
    AssetIndexUpdates,
    CompositeIndex,
    ContractInfo,
    MarkPriceUpdates,
    MiniTickers,
    Tickers,
    TradingSession,
)
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
)

if TYPE_CHECKING:
    import sys

    if sys.version_info >= (3, 11):
        pass
    else:  # pragma: no cover
        pass


from ._request import (
    _DOCS,
    LEVELS,
    LOWER,
    PAIR_RE,
    SYMBOL,
    Cadence,
    Route,
    StreamRequest,
    StreamTransport,
    _symbol,
)

__all__ = [
    "AggregateTradeStreams",
    "AllBookTickersStream",
    "AllMarketLiquidationOrderStreams",
    "AllMarketMiniTickersStream",
    "AllMarketTickersStreams",
    "AssetIndex",
    "CompositeIndexSymbolInformationStreams",
    "ContinuousContractKlineCandlestickStreams",
    "ContractInfoStream",
    "DiffBookDepthStreams",
    "IndividualSymbolBookTickerStreams",
    "IndividualSymbolMiniTickerStream",
    "IndividualSymbolTickerStreams",
    "KlineCandlestickStreams",
    "LiquidationOrderStreams",
    "MarkPriceStream",
    "MarkPriceStreamForAllMarket",
    "MarketApi",
    "PartialBookDepthStreams",
    "PublicApi",
    "RpiDiffBookDepthStreams",
    "TradeStreams",
    "TradingSessionStream",
]

# ---------------------------------------------------------------------- /market (15)


class AggregateTradeStreams(StreamRequest[AggregateTrade]):
    """Aggregate trades of a symbol, every 100 ms."""

    method = "<symbol>@aggTrade"
    model = AggregateTrade
    docs = f"{_DOCS}/Aggregate-Trade-Streams"
    symbol = _symbol()


class AllMarketLiquidationOrderStreams(StreamRequest[ForceOrder]):
    """The latest liquidation of every symbol (at most one per symbol per second)."""

    method = "!forceOrder@arr"
    model = ForceOrder
    #: No cadence: the "1 s" of the docs is a cap (one snapshot per symbol per second), and
    #: only when a liquidation happens; a calm market sends nothing for hours.
    cadence = None
    docs = f"{_DOCS}/All-Market-Liquidation-Order-Streams"


class AllMarketMiniTickersStream(StreamRequest[MiniTickers]):
    """24 h mini tickers of the symbols that changed, every 1 s (one frame, many tickers)."""

    method = "!miniTicker@arr"
    model = MiniTickers
    cadence = Cadence(1.0, regular=False)
    docs = f"{_DOCS}/All-Market-Mini-Tickers-Stream"


class AllMarketTickersStreams(StreamRequest[Tickers]):
    """24 h tickers of the symbols that changed, every 1 s (one frame, many tickers)."""

    method = "!ticker@arr"
    model = Tickers
    cadence = Cadence(1.0, regular=False)
    docs = f"{_DOCS}/All-Market-Tickers-Streams"


class AssetIndex(StreamRequest[AssetIndexUpdates]):
    """Asset indexes of the multi-assets mode, every 1 s."""

    method = "!assetIndex@arr"
    model = AssetIndexUpdates
    cadence = Cadence(1.0, regular=True)
    docs = f"{_DOCS}/Multi-Assets-Mode-Asset-Index"


class CompositeIndexSymbolInformationStreams(StreamRequest[CompositeIndex]):
    """A composite index and its constituents, every 1 s."""

    method = "<symbol>@compositeIndex"
    model = CompositeIndex
    cadence = Cadence(1.0, regular=True)
    docs = f"{_DOCS}/Composite-Index-Symbol-Information-Streams"
    symbol = _symbol("Composite index symbol, e.g. ``DEFIUSDT``.")


class ContinuousContractKlineCandlestickStreams(StreamRequest[ContinuousKlineUpdate]):
    """Klines of a pair's continuous contract, every 250 ms."""

    method = "<pair>_<contractType>@continuousKline_<interval>"
    model = ContinuousKlineUpdate
    cadence = Cadence(0.25, regular=False)
    docs = f"{_DOCS}/Continuous-Contract-Kline-Candlestick-Streams"
    pair = Param[str](
        SYMBOL, required=True, pattern=PAIR_RE, doc="Pair, e.g. ``BTCUSDT`` (lower-cased)."
    )
    contract_type = Param[Union[ContractType, str]](
        LOWER, required=True, choices=ContractType, doc="Contract type."
    )
    interval = Param[Union[ContinuousKlineInterval, str]](
        STRING, required=True, choices=ContinuousKlineInterval, doc="Kline interval."
    )


class ContractInfoStream(StreamRequest[ContractInfo]):
    """Contract listings, settlements, status and bracket changes, in real time."""

    method = "!contractInfo"
    model = ContractInfo
    docs = f"{_DOCS}/Contract-Info-Stream"


class IndividualSymbolMiniTickerStream(StreamRequest[MiniTicker]):
    """24 h mini ticker of a symbol, every 2 s."""

    method = "<symbol>@miniTicker"
    model = MiniTicker
    cadence = Cadence(2.0, regular=False)
    docs = f"{_DOCS}/Individual-Symbol-Mini-Ticker-Stream"
    symbol = _symbol()


class IndividualSymbolTickerStreams(StreamRequest[Ticker]):
    """24 h ticker of a symbol, every 2 s."""

    method = "<symbol>@ticker"
    model = Ticker
    cadence = Cadence(2.0, regular=False)
    docs = f"{_DOCS}/Individual-Symbol-Ticker-Streams"
    symbol = _symbol()


class KlineCandlestickStreams(StreamRequest[KlineUpdate]):
    """Klines of a symbol, every 250 ms."""

    method = "<symbol>@kline_<interval>"
    model = KlineUpdate
    cadence = Cadence(0.25, regular=False)
    docs = f"{_DOCS}/Kline-Candlestick-Streams"
    symbol = _symbol()
    interval = Param[Union[KlineInterval, str]](
        STRING, required=True, choices=KlineInterval, doc="Kline interval."
    )


class LiquidationOrderStreams(StreamRequest[ForceOrder]):
    """The latest liquidation of a symbol (at most one per second)."""

    method = "<symbol>@forceOrder"
    model = ForceOrder
    #: No cadence: the "1 s" of the docs is a cap (one snapshot per symbol per second), and
    #: only when a liquidation happens; a calm market sends nothing for hours.
    cadence = None
    docs = f"{_DOCS}/Liquidation-Order-Streams"
    symbol = _symbol()


class MarkPriceStream(StreamRequest[MarkPriceUpdate]):
    """Mark price and funding rate of a symbol, every 3 s (or 1 s)."""

    method = "<symbol>@markPrice@<updateSpeed>"
    model = MarkPriceUpdate
    cadence = Cadence(3.0, regular=True, speeds=(("1s", 1.0),))
    docs = f"{_DOCS}/Mark-Price-Stream"
    symbol = _symbol()
    update_speed = Param[Union[MarkPriceUpdateSpeed, str]](
        STRING, choices=MarkPriceUpdateSpeed, doc="``1s``; not set: every 3 s."
    )


class MarkPriceStreamForAllMarket(StreamRequest[MarkPriceUpdates]):
    """Mark prices and funding rates of every symbol, every 3 s (or 1 s), in one frame."""

    method = "!markPrice@arr@<updateSpeed>"
    model = MarkPriceUpdates
    cadence = Cadence(3.0, regular=True, speeds=(("1s", 1.0),))
    docs = f"{_DOCS}/Mark-Price-Stream-for-All-market"
    update_speed = Param[Union[MarkPriceUpdateSpeed, str]](
        STRING, choices=MarkPriceUpdateSpeed, doc="``1s``; not set: every 3 s."
    )


class TradingSessionStream(StreamRequest[TradingSession]):
    """Trading sessions of the TradFi markets, every 1 s."""

    method = "tradingSession"
    model = TradingSession
    cadence = Cadence(1.0, regular=True)
    docs = f"{_DOCS}/Trading-Session-Stream"


# ---------------------------------------------------------------------- /public (5, and @trade)


class AllBookTickersStream(StreamRequest[BookTickerUpdate]):
    """Best bid and ask of every symbol, every 5 s."""

    method = "!bookTicker"
    route = Route.PUBLIC
    model = BookTickerUpdate
    cadence = Cadence(5.0, regular=False)
    docs = f"{_DOCS}/All-Book-Tickers-Stream"


class DiffBookDepthStreams(StreamRequest[DepthUpdate]):
    """Order book changes of a symbol (for a local book), every 250 ms, 500 ms or 100 ms."""

    method = "<symbol>@depth@<updateSpeed>"
    route = Route.PUBLIC
    model = DepthUpdate
    docs = f"{_DOCS}/Diff-Book-Depth-Streams"
    symbol = _symbol()
    update_speed = Param[Union[DepthUpdateSpeed, str]](
        STRING, choices=DepthUpdateSpeed, doc="``100ms`` or ``500ms``; not set: 250 ms."
    )


class IndividualSymbolBookTickerStreams(StreamRequest[BookTickerUpdate]):
    """Best bid and ask of a symbol, in real time."""

    method = "<symbol>@bookTicker"
    route = Route.PUBLIC
    model = BookTickerUpdate
    docs = f"{_DOCS}/Individual-Symbol-Book-Ticker-Streams"
    symbol = _symbol()


class PartialBookDepthStreams(StreamRequest[DepthUpdate]):
    """The top 5, 10 or 20 levels of a symbol's book, every 250 ms, 500 ms or 100 ms."""

    method = "<symbol>@depth<levels>@<updateSpeed>"
    route = Route.PUBLIC
    model = DepthUpdate
    cadence = Cadence(0.25, regular=False, speeds=(("100ms", 0.1), ("500ms", 0.5)))
    docs = f"{_DOCS}/Partial-Book-Depth-Streams"
    symbol = _symbol()
    levels = Param[Union[DepthLevels, str, int]](
        LEVELS, required=True, choices=DepthLevels, doc="5, 10 or 20 levels."
    )
    update_speed = Param[Union[DepthUpdateSpeed, str]](
        STRING, choices=DepthUpdateSpeed, doc="``100ms`` or ``500ms``; not set: 250 ms."
    )


class RpiDiffBookDepthStreams(StreamRequest[DepthUpdate]):
    """Order book changes of a symbol with RPI orders aggregated in, every 500 ms."""

    method = "<symbol>@rpiDepth@500ms"
    route = Route.PUBLIC
    model = DepthUpdate
    docs = f"{_DOCS}/RPI-Diff-Book-Depth-Streams"
    symbol = _symbol()


class TradeStreams(StreamRequest[Trade]):
    """Every fill of a symbol, one frame each (not aggregated), in real time.

    Not a Go connector method: ``<symbol>@trade`` is in neither official connector nor the
    USDⓈ-M stream docs, but Binance serves it live on ``/public``. Some frames are placeholders
    priced and sized ``0`` (a trade id spent without a fill): ``Trade.is_placeholder``.
    """

    method = "<symbol>@trade"
    route = Route.PUBLIC
    model = Trade
    symbol = _symbol()


# ---------------------------------------------------------------------- services


class _StreamService:
    def __init__(self, transport: Optional[StreamTransport] = None) -> None:
        self._transport = transport


class MarketApi(_StreamService):
    """The ``/market`` streams (Go ``MarketAPI``); each method returns a fresh builder."""

    aggregate_trade_streams = Builds(AggregateTradeStreams)
    all_market_liquidation_order_streams = Builds(AllMarketLiquidationOrderStreams)
    all_market_mini_tickers_stream = Builds(AllMarketMiniTickersStream)
    all_market_tickers_streams = Builds(AllMarketTickersStreams)
    asset_index = Builds(AssetIndex)
    composite_index_symbol_information_streams = Builds(CompositeIndexSymbolInformationStreams)
    continuous_contract_kline_candlestick_streams = Builds(
        ContinuousContractKlineCandlestickStreams
    )
    contract_info_stream = Builds(ContractInfoStream)
    individual_symbol_mini_ticker_stream = Builds(IndividualSymbolMiniTickerStream)
    individual_symbol_ticker_streams = Builds(IndividualSymbolTickerStreams)
    kline_candlestick_streams = Builds(KlineCandlestickStreams)
    liquidation_order_streams = Builds(LiquidationOrderStreams)
    mark_price_stream = Builds(MarkPriceStream)
    mark_price_stream_for_all_market = Builds(MarkPriceStreamForAllMarket)
    trading_session_stream = Builds(TradingSessionStream)


class PublicApi(_StreamService):
    """The ``/public`` streams (Go ``PublicAPI``, plus ``trade_streams``); each method returns a
    fresh builder."""

    all_book_tickers_stream = Builds(AllBookTickersStream)
    diff_book_depth_streams = Builds(DiffBookDepthStreams)
    individual_symbol_book_ticker_streams = Builds(IndividualSymbolBookTickerStreams)
    partial_book_depth_streams = Builds(PartialBookDepthStreams)
    rpi_diff_book_depth_streams = Builds(RpiDiffBookDepthStreams)
    #: Not in the Go connector: served live on ``/public``, undocumented.
    trade_streams = Builds(TradeStreams)
