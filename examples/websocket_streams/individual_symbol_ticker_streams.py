"""Example of the Go connector's ``IndividualSymbolTickerStreams``.

``market_api.individual_symbol_ticker_streams()``: 24 h ticker of a symbol, every 2 s. Stream
``<symbol>@ticker`` on ``/market``; prints up to 3 ``Ticker`` events, then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.market_api.individual_symbol_ticker_streams()
        .symbol("BTCUSDT")
        .execute()
    )  # returns once acknowledged
    show(handle)
