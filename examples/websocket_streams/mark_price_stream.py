"""Example of the Go connector's ``MarkPriceStream``.

``market_api.mark_price_stream()``: mark price and funding rate of a symbol, every 3 s (or 1 s).
Stream ``<symbol>@markPrice@<updateSpeed>`` on ``/market``; prints up to 3 ``MarkPriceUpdate``
events, then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

from binance_usdm_ws import MarkPriceUpdateSpeed  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.market_api.mark_price_stream()
        .symbol("BTCUSDT")
        .update_speed(MarkPriceUpdateSpeed.UPDATE_SPEED_1s)
        .execute()
    )  # returns once acknowledged
    show(handle)
