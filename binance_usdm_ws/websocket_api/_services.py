"""The services of ``client.websocket_api``, gathered from the ``_api`` modules."""

from __future__ import annotations

from ._api.account import AccountApi
from ._api.auth import AuthApi
from ._api.market_data import MarketDataApi
from ._api.trade import TradeApi
from ._api.user_data_streams import UserDataStreamsApi

__all__ = ["AccountApi", "AuthApi", "MarketDataApi", "TradeApi", "UserDataStreamsApi"]
