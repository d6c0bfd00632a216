"""Example of the Go connector's ``MarkPriceStreamForAllMarket``.

``market_api.mark_price_stream_for_all_market()``: mark prices and funding rates of every
symbol, every 3 s (or 1 s), in one frame. Stream ``!markPrice@arr@<updateSpeed>`` on
``/market``; prints up to 3 ``MarkPriceUpdates`` events, then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

from binance_usdm_ws import MarkPriceUpdateSpeed  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.market_api.mark_price_stream_for_all_market()
        .update_speed(MarkPriceUpdateSpeed.UPDATE_SPEED_1s)
        .execute()
    )  # returns once acknowledged
    show(handle)
