"""Example of the Go connector's ``KlineCandlestickStreams``.

``market_api.kline_candlestick_streams()``: klines of a symbol, every 250 ms. Stream
``<symbol>@kline_<interval>`` on ``/market``; prints up to 3 ``KlineUpdate`` events, then
unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

from binance_usdm_ws import KlineInterval  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.market_api.kline_candlestick_streams()
        .symbol("BTCUSDT")
        .interval(KlineInterval.INTERVAL_1m)
        .execute()
    )  # returns once acknowledged
    show(handle)
