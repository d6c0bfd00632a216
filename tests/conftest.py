"""Shared fixtures: a real local exchange on 127.0.0.1 and clients connected to it."""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    WebsocketApi,
)
from binance_usdm_ws.testing import LocalExchange


@pytest.fixture
def exchange() -> Iterator[LocalExchange]:
    """A fresh local exchange per test (fast to start: one thread, one listening socket).

    Quiet (a still market): most tests check exactly what their own orders and faults do to
    the books and streams. Tests of the live market make their own ``LocalExchange()``.
    """
    # Pings every second and, like Binance (which allows 10 minutes), a deadline for the pong:
    # a client that stops answering pings is dropped after 3 s, so every test would see it.
    with LocalExchange(quiet=True, ping_interval=1.0, ping_timeout=3.0) as ex:
        yield ex


def ws_api_client(
    exchange: LocalExchange, **overrides: Any
) -> BinanceDerivativesTradingUsdsFuturesClient:
    """A client of ``exchange``'s WS API with the tests' defaults (5 s calls, quick
    reconnects), not yet connected; ``overrides`` replace or add options."""
    options: dict[str, Any] = dict(
        base_path=exchange.ws_api_url,
        api_key=exchange.api_key,
        api_secret=exchange.api_secret,
        timeout=5.0,
        reconnect_delay=0.05,
    )
    options.update(overrides)
    return BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=ConfigurationWebsocketApi(**options)
    )


@pytest.fixture
def make_client(
    exchange: LocalExchange,
) -> Iterator[Callable[..., BinanceDerivativesTradingUsdsFuturesClient]]:
    """Factory of connected clients; every client is closed at the end of the test."""
    clients: list[BinanceDerivativesTradingUsdsFuturesClient] = []

    def make(**overrides: Any) -> BinanceDerivativesTradingUsdsFuturesClient:
        client = ws_api_client(exchange, **overrides)
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
    frames = sys._current_frames()
    stacks = {
        t.name: "".join(traceback.format_stack(frames[t.ident])) if t.ident in frames else ""
        for t in threading.enumerate()
        if t.name.startswith("binance-usdm-ws")
    }
    raise AssertionError(f"threads left behind: {left}\n" + "\n".join(stacks.values()))


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll ``predicate`` until it is truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError("condition not met in time")


@pytest.fixture
def api(
    make_client: Callable[..., BinanceDerivativesTradingUsdsFuturesClient],
) -> WebsocketApi:
    """The connected WS API of a client of ``exchange`` (HMAC key, per-request signing)."""
    return make_client().websocket_api


def sent(exchange: LocalExchange, method: str) -> dict[str, Any]:
    """The last frame ``exchange`` received for ``method``, decoded from its raw JSON text."""
    frames = [json.loads(r.raw) for r in exchange.requests if r.method == method]
    assert frames, f"no {method} request was received"
    frame: dict[str, Any] = frames[-1]
    return frame


def pem_pair(kind: str) -> tuple[str, str]:
    """A new ``"rsa"`` (2048-bit) or ``"ed25519"`` key pair: (private PKCS#8 PEM, public PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    if kind == "rsa":
        key = rsa.generate_private_key(65537, 2048)
    else:
        key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public
