"""Synchronous SDK for the Binance USDⓈ-M Futures WebSocket API.

Quickstart::

    from binance_usdm_ws import (
        BinanceDerivativesTradingUsdsFuturesClient, ConfigurationWebsocketApi,
        DERIVATIVES_TRADING_USDS_FUTURES_WS_API_TESTNET_URL,
    )
    cfg = ConfigurationWebsocketApi(
        base_path=DERIVATIVES_TRADING_USDS_FUTURES_WS_API_TESTNET_URL,
        api_key="...", api_secret="...",
    )
    with BinanceDerivativesTradingUsdsFuturesClient(websocket_api=cfg) as client:
        api = client.websocket_api.user_data_streams_api
        resp = api.start_user_data_stream().execute()
        print(resp.typed.result.listen_key)

Errors are in :mod:`binance_usdm_ws.errors` (re-exported here); enums in
:mod:`binance_usdm_ws.enums`; the bundled local exchange in :mod:`binance_usdm_ws.testing`.
"""

from __future__ import annotations

from ._api.account import (
    AccountApi,
    AccountInformationRequest,
    AccountInformationV2Request,
    FuturesAccountBalance,
    FuturesAccountBalanceV2,
)
from ._api.auth import AuthApi, SessionLogon, SessionLogout, SessionStatusRequest
from ._api.market_data import (
    MarketDataApi,
    OrderBookRequest,
    SymbolOrderBookTicker,
    SymbolPriceTicker,
)
from ._api.trade import (
    CancelAlgoOrder,
    CancelOrder,
    ModifyOrder,
    NewAlgoOrder,
    NewOrder,
    PositionInformation,
    PositionInformationV2,
    QueryOrder,
    TradeApi,
)
from ._api.user_data_streams import (
    CloseUserDataStream,
    KeepaliveUserDataStream,
    StartUserDataStream,
    UserDataStreamsApi,
)
from ._client import BinanceDerivativesTradingUsdsFuturesClient
from ._config import (
    DERIVATIVES_TRADING_USDS_FUTURES_WS_API_PROD_URL,
    DERIVATIVES_TRADING_USDS_FUTURES_WS_API_TESTNET_URL,
    DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_PROD_URL,
    DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_TESTNET_URL,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
)
from ._models import (
    CloseUserDataStreamResponse,
    Empty,
    KeepaliveUserDataStreamResponse,
    ListenKey,
    RateLimit,
    StartUserDataStreamResponse,
    WsApiResponse,
)
from ._requests import USE_CLIENT_DEFAULT, Request, Response
from ._websocket_api import Notice, WebsocketApi
from .enums import (
    AlgoOrderType,
    AlgoStatus,
    AlgoType,
    DepthLimit,
    NewOrderRespType,
    OrderStatus,
    OrderType,
    PositionSide,
    PriceMatch,
    SelfTradePreventionMode,
    Side,
    TimeInForce,
    TimeUnit,
    WorkingType,
)
from .errors import (
    BadRequest,
    BinanceWsError,
    ConnectionClosed,
    DecodeError,
    ExecutionStatusUnknown,
    Forbidden,
    InvalidRequest,
    IpBanned,
    RateLimited,
    RequestTimeout,
    ServerError,
    ServerSideError,
    Unauthorized,
)

__version__ = "0.1.0"

__all__ = [
    "DERIVATIVES_TRADING_USDS_FUTURES_WS_API_PROD_URL",
    "DERIVATIVES_TRADING_USDS_FUTURES_WS_API_TESTNET_URL",
    "DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_PROD_URL",
    "DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_TESTNET_URL",
    "USE_CLIENT_DEFAULT",
    "AccountApi",
    "AccountInformationRequest",
    "AccountInformationV2Request",
    "AlgoOrderType",
    "AlgoStatus",
    "AlgoType",
    "AuthApi",
    "BadRequest",
    "BinanceDerivativesTradingUsdsFuturesClient",
    "BinanceWsError",
    "CancelAlgoOrder",
    "CancelOrder",
    "CloseUserDataStream",
    "CloseUserDataStreamResponse",
    "ConfigurationWebsocketApi",
    "ConfigurationWebsocketStreams",
    "ConnectionClosed",
    "DecodeError",
    "DepthLimit",
    "Empty",
    "ExecutionStatusUnknown",
    "Forbidden",
    "FuturesAccountBalance",
    "FuturesAccountBalanceV2",
    "InvalidRequest",
    "IpBanned",
    "KeepaliveUserDataStream",
    "KeepaliveUserDataStreamResponse",
    "ListenKey",
    "MarketDataApi",
    "ModifyOrder",
    "NewAlgoOrder",
    "NewOrder",
    "NewOrderRespType",
    "Notice",
    "OrderBookRequest",
    "OrderStatus",
    "OrderType",
    "PositionInformation",
    "PositionInformationV2",
    "PositionSide",
    "PriceMatch",
    "QueryOrder",
    "RateLimit",
    "RateLimited",
    "Request",
    "RequestTimeout",
    "Response",
    "SelfTradePreventionMode",
    "ServerError",
    "ServerSideError",
    "SessionLogon",
    "SessionLogout",
    "SessionStatusRequest",
    "Side",
    "StartUserDataStream",
    "StartUserDataStreamResponse",
    "SymbolOrderBookTicker",
    "SymbolPriceTicker",
    "TimeInForce",
    "TimeUnit",
    "TradeApi",
    "Unauthorized",
    "UserDataStreamsApi",
    "WebsocketApi",
    "WorkingType",
    "WsApiResponse",
]
