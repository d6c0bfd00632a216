"""Shared fixtures: a real local exchange on 127.0.0.1 and clients connected to it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from binance_usdm_ws import BinanceDerivativesTradingUsdsFuturesClient, ConfigurationWebsocketApi
from binance_usdm_ws.testing import LocalExchange


@pytest.fixture
def exchange() -> Iterator[LocalExchange]:
    """A fresh local exchange per test (fast to start: one thread, one listening socket)."""
    with LocalExchange(ping_interval=1.0) as ex:
        yield ex


@pytest.fixture
def make_client(
    exchange: LocalExchange,
) -> Iterator[Callable[..., BinanceDerivativesTradingUsdsFuturesClient]]:
    """Factory of connected clients; every client is closed at the end of the test."""
    clients: list[BinanceDerivativesTradingUsdsFuturesClient] = []

    def make(**overrides: Any) -> BinanceDerivativesTradingUsdsFuturesClient:
        options: dict[str, Any] = dict(
            base_path=exchange.ws_api_url,
            api_key=exchange.api_key,
            api_secret=exchange.api_secret,
            timeout=5.0,
            reconnect_delay=0.05,
        )
        options.update(overrides)
        client = BinanceDerivativesTradingUsdsFuturesClient(
            websocket_api=ConfigurationWebsocketApi(**options)
        )
        clients.append(client)
        client.websocket_api.connect()
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(autouse=True)
def no_thread_leak() -> Iterator[None]:
    """Every test must leave no SDK thread behind once its clients are closed."""
    yield
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        left = [t.name for t in threading.enumerate() if t.name.startswith("binance-usdm-ws")]
        if not left:
            return
        time.sleep(0.01)
    raise AssertionError(f"threads left behind: {left}")


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll ``predicate`` until it is truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError("condition not met in time")
