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

from ._api.auth import AuthApi, SessionLogon, SessionLogout, SessionStatusRequest
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
from ._events import (
    AccountConfigUpdate,
    AccountUpdate,
    AccountUpdateData,
    AlgoOrderUpdate,
    AlgoUpdate,
    Balance,
    ConditionalOrderTriggerReject,
    GridUpdate,
    GridUpdateData,
    LeverageUpdate,
    ListenKeyExpired,
    MarginCall,
    MarginCallPosition,
    MultiAssetsUpdate,
    OrderReject,
    OrderTradeUpdate,
    OrderUpdate,
    Position,
    StrategyUpdate,
    StrategyUpdateData,
    TradeLite,
    UnknownEvent,
    UserDataEvent,
    decode_event,
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
from ._streams import StreamGap, StreamItem, UserDataStream
from ._websocket_api import Notice, WebsocketApi
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
    "AccountConfigUpdate",
    "AccountUpdate",
    "AccountUpdateData",
    "AlgoOrderUpdate",
    "AlgoUpdate",
    "AuthApi",
    "BadRequest",
    "Balance",
    "BinanceDerivativesTradingUsdsFuturesClient",
    "BinanceWsError",
    "CloseUserDataStream",
    "CloseUserDataStreamResponse",
    "ConditionalOrderTriggerReject",
    "ConfigurationWebsocketApi",
    "ConfigurationWebsocketStreams",
    "ConnectionClosed",
    "DecodeError",
    "Empty",
    "ExecutionStatusUnknown",
    "Forbidden",
    "GridUpdate",
    "GridUpdateData",
    "InvalidRequest",
    "IpBanned",
    "KeepaliveUserDataStream",
    "KeepaliveUserDataStreamResponse",
    "LeverageUpdate",
    "ListenKey",
    "ListenKeyExpired",
    "MarginCall",
    "MarginCallPosition",
    "MultiAssetsUpdate",
    "Notice",
    "OrderReject",
    "OrderTradeUpdate",
    "OrderUpdate",
    "Position",
    "RateLimit",
    "RateLimited",
    "Request",
    "RequestTimeout",
    "Response",
    "ServerError",
    "ServerSideError",
    "SessionLogon",
    "SessionLogout",
    "SessionStatusRequest",
    "StartUserDataStream",
    "StartUserDataStreamResponse",
    "StrategyUpdate",
    "StrategyUpdateData",
    "StreamGap",
    "StreamItem",
    "TradeLite",
    "Unauthorized",
    "UnknownEvent",
    "UserDataEvent",
    "UserDataStream",
    "UserDataStreamsApi",
    "WebsocketApi",
    "WsApiResponse",
    "decode_event",
]
