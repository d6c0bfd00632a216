"""WebSocket Streams: the Go connector's ``src/websocketstreams`` half, on the shared core.

Three parts, each a package of its own, over ``binance_usdm_ws._core`` (connection, supervisor,
delivery):

* :mod:`.market` — market streams on ``/market`` and ``/public``: builders, routing, cadences,
  events, the client and its handles, silence detection;
* :mod:`.user_data` — the user data stream on ``/private`` and its events;
* :mod:`.order_book` — local order books: the diff-depth stream joined to WS API snapshots.

Imports go one way: ``order_book`` uses ``market``, ``market`` decodes listenKey streams with
``user_data``'s events, ``user_data`` uses neither.
"""

from __future__ import annotations

from ..errors import SubscriptionRejected
from .market._builders import (
    AggregateTradeStreams,
    AllBookTickersStream,
    AllMarketLiquidationOrderStreams,
    AllMarketMiniTickersStream,
    AllMarketTickersStreams,
    AssetIndex,
    CompositeIndexSymbolInformationStreams,
    ContinuousContractKlineCandlestickStreams,
    ContractInfoStream,
    DiffBookDepthStreams,
    IndividualSymbolBookTickerStreams,
    IndividualSymbolMiniTickerStream,
    IndividualSymbolTickerStreams,
    KlineCandlestickStreams,
    LiquidationOrderStreams,
    MarketApi,
    MarkPriceStream,
    MarkPriceStreamForAllMarket,
    PartialBookDepthStreams,
    PublicApi,
    RpiDiffBookDepthStreams,
    TradeStreams,
    TradingSessionStream,
)
from .market._client import WebsocketStreams
from .market._decode import decode_market_event
from .market._enums import (
    ContinuousKlineInterval,
    ContractType,
    DepthLevels,
    DepthUpdateSpeed,
    KlineInterval,
    MarkPriceUpdateSpeed,
)
from .market._handle import StreamHandle
from .market._market_wide_models import (
    AssetIndexUpdate,
    AssetIndexUpdates,
    CompositeIndex,
    CompositeIndexConstituent,
    ContractBracket,
    ContractInfo,
    MarketStreamEvent,
    MarkPriceUpdates,
    MiniTickers,
    Tickers,
    TradingSession,
)
from .market._models import (
    AggregateTrade,
    BookTickerUpdate,
    ContinuousKlineUpdate,
    DepthUpdate,
    ForceOrder,
    Kline,
    KlineUpdate,
    LiquidationOrder,
    MarkPriceUpdate,
    MiniTicker,
    Ticker,
    Trade,
)
from .market._request import Cadence, Route, StreamRequest, StreamRoute, parse_stream_name
from .market._silence import StreamSilent
from .order_book._book import LocalOrderBook
from .order_book._items import (
    BookNotSynced,
    BookRefused,
    BookResync,
    BookSnapshot,
    BookUpdate,
    Level,
)
from .order_book._manager import LocalOrderBooks
from .order_book._scheduler import SnapshotScheduler

__all__ = [
    "AggregateTrade",
    "AggregateTradeStreams",
    "AllBookTickersStream",
    "AllMarketLiquidationOrderStreams",
    "AllMarketMiniTickersStream",
    "AllMarketTickersStreams",
    "AssetIndex",
    "AssetIndexUpdate",
    "AssetIndexUpdates",
    "BookNotSynced",
    "BookRefused",
    "BookResync",
    "BookSnapshot",
    "BookTickerUpdate",
    "BookUpdate",
    "Cadence",
    "CompositeIndex",
    "CompositeIndexConstituent",
    "CompositeIndexSymbolInformationStreams",
    "ContinuousContractKlineCandlestickStreams",
    "ContinuousKlineInterval",
    "ContinuousKlineUpdate",
    "ContractBracket",
    "ContractInfo",
    "ContractInfoStream",
    "ContractType",
    "DepthLevels",
    "DepthUpdate",
    "DepthUpdateSpeed",
    "DiffBookDepthStreams",
    "ForceOrder",
    "IndividualSymbolBookTickerStreams",
    "IndividualSymbolMiniTickerStream",
    "IndividualSymbolTickerStreams",
    "Kline",
    "KlineCandlestickStreams",
    "KlineInterval",
    "KlineUpdate",
    "Level",
    "LiquidationOrder",
    "LiquidationOrderStreams",
    "LocalOrderBook",
    "LocalOrderBooks",
    "MarkPriceStream",
    "MarkPriceStreamForAllMarket",
    "MarkPriceUpdate",
    "MarkPriceUpdateSpeed",
    "MarkPriceUpdates",
    "MarketApi",
    "MarketStreamEvent",
    "MiniTicker",
    "MiniTickers",
    "PartialBookDepthStreams",
    "PublicApi",
    "Route",
    "RpiDiffBookDepthStreams",
    "SnapshotScheduler",
    "StreamHandle",
    "StreamRequest",
    "StreamRoute",
    "StreamSilent",
    "SubscriptionRejected",
    "Ticker",
    "Tickers",
    "Trade",
    "TradeStreams",
    "TradingSession",
    "TradingSessionStream",
    "WebsocketStreams",
    "decode_market_event",
    "parse_stream_name",
]
