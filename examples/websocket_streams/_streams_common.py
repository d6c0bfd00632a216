"""Shared set-up of the stream examples: a client with only a streams configuration.

Reads ``BINANCE_STREAMS_URL`` (default: the futures testnet; ``python -m binance_usdm_ws.testing``
prints a local one) and ``EXAMPLE_SECONDS`` (how long to wait for events; default 10).
"""

from __future__ import annotations

import os
import sys
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from binance_usdm_ws import (  # noqa: E402
    DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_TESTNET_URL,
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketStreams,
    StreamGap,
    StreamHandle,
    StreamSilent,
)

__all__ = ["client", "show"]


def client() -> BinanceDerivativesTradingUsdsFuturesClient:
    """A client of the market streams only: no API key is needed."""
    url = os.environ.get(
        "BINANCE_STREAMS_URL", DERIVATIVES_TRADING_USDS_FUTURES_WS_STREAMS_TESTNET_URL
    )
    return BinanceDerivativesTradingUsdsFuturesClient(
        websocket_streams=ConfigurationWebsocketStreams(base_path=url)
    )


def show(handle: StreamHandle[Any], events: int = 3) -> None:
    """Print up to ``events`` typed events (and any gap) within ``EXAMPLE_SECONDS``."""
    print(f"subscribed (acknowledged): {', '.join(handle.streams)}")
    seconds = float(os.environ.get("EXAMPLE_SECONDS", "10"))
    shown = 0
    while shown < events:
        item: Any = handle.get(timeout=seconds)
        if item is None:
            print(f"no more events within {seconds} s")
            break
        if isinstance(item, StreamGap):
            print(f"gap: {item.reason} ({item.detail})")
            continue
        if isinstance(item, StreamSilent):  # sent nothing for too long; the SDK repairs it
            print(f"silent: {item.stream} for {item.silent_for} s, {item.action}")
            continue
        print(item)
        shown += 1
    handle.unsubscribe()
