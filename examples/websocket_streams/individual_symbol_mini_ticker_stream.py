"""Example of the Go connector's ``IndividualSymbolMiniTickerStream``.

``market_api.individual_symbol_mini_ticker_stream()``: 24 h mini ticker of a symbol, every 2 s.
Stream ``<symbol>@miniTicker`` on ``/market``; prints up to 3 ``MiniTicker`` events, then
unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.market_api.individual_symbol_mini_ticker_stream()
        .symbol("BTCUSDT")
        .execute()
    )  # returns once acknowledged
    show(handle)
