"""MarketDataApi: builders are declared here (see issue 3)."""

from __future__ import annotations

from .._requests import Transport

__all__ = ["MarketDataApi"]


class MarketDataApi:
    """Service of ``client.websocket_api``; each method returns a request builder."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
