"""Example of the Go connector's ``PartialBookDepthStreams``.

``public_api.partial_book_depth_streams()``: the top 5, 10 or 20 levels of a symbol's book,
every 250 ms, 500 ms or 100 ms. Stream ``<symbol>@depth<levels>@<updateSpeed>`` on ``/public``;
prints up to 3 ``DepthUpdate`` events, then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

from binance_usdm_ws import DepthLevels, DepthUpdateSpeed  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.public_api.partial_book_depth_streams()
        .symbol("BTCUSDT")
        .levels(DepthLevels.LEVELS_5)
        .update_speed(DepthUpdateSpeed.UPDATE_SPEED_100ms)
        .execute()
    )  # returns once acknowledged
    show(handle)
