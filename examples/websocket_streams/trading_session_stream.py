"""Example of the Go connector's ``TradingSessionStream``.

``market_api.trading_session_stream()``: trading sessions of the TradFi markets, every 1 s.
Stream ``tradingSession`` on ``/market``; prints up to 3 ``TradingSession`` events, then
unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.market_api.trading_session_stream().execute()
    )  # returns once acknowledged
    show(handle)
