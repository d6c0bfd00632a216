"""Example of the Go connector's ``AggregateTradeStreams``.

``market_api.aggregate_trade_streams()``: aggregate trades of a symbol, every 100 ms. Stream
``<symbol>@aggTrade`` on ``/market``; prints up to 3 ``AggregateTrade`` events, then
unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.market_api.aggregate_trade_streams().symbol("BTCUSDT").execute()
    )  # returns once acknowledged
    show(handle)
