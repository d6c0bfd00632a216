"""Example of the Go connector's ``AllMarketMiniTickersStream``.

``market_api.all_market_mini_tickers_stream()``: 24 h mini tickers of the symbols that changed,
every 1 s (one frame, many tickers). Stream ``!miniTicker@arr`` on ``/market``; prints up to 3
``MiniTickers`` events, then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.market_api.all_market_mini_tickers_stream().execute()
    )  # returns once acknowledged
    show(handle)
