"""Fixtures shared by the tests that use real sockets against the bundled local exchange."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    WebsocketApi,
)

try:
    from binance_usdm_ws.testing import LocalExchange
except ImportError:  # pragma: no cover - the testing extra is not installed
    LocalExchange = None  # type: ignore[assignment,misc]


@pytest.fixture
def ex() -> Iterator[Any]:
    """A running local exchange (skips when the testing package is unavailable)."""
    if LocalExchange is None:
        pytest.skip("binance_usdm_ws.testing is not available")
    with LocalExchange() as exchange:
        yield exchange


def make_client(ex: Any, **config: Any) -> BinanceDerivativesTradingUsdsFuturesClient:
    """A client of ``ex`` with its default HMAC key, quiet heartbeats and short timeouts."""
    settings: dict[str, Any] = {
        "base_path": ex.ws_api_url,
        "api_key": ex.api_key,
        "api_secret": ex.api_secret,
        "timeout": 5.0,
        "heartbeat_interval": None,
        "reconnect": False,
    }
    settings.update(config)
    return BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=ConfigurationWebsocketApi(**settings)
    )


@pytest.fixture
def api(ex: Any) -> Iterator[WebsocketApi]:
    """The connected WS API of a client of ``ex``."""
    with make_client(ex) as client:
        yield client.websocket_api


def sent(ex: Any, method: str) -> dict[str, Any]:
    """The last frame the exchange received for ``method``, decoded from its raw JSON text."""
    frames = [json.loads(r.raw) for r in ex.requests if r.method == method]
    assert frames, f"no {method} request was received"
    frame: dict[str, Any] = frames[-1]
    return frame
