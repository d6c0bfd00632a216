"""Example of the Go connector's ``DiffBookDepthStreams``.

``public_api.diff_book_depth_streams()``: order book changes of a symbol (for a local book),
every 250 ms, 500 ms or 100 ms. Stream ``<symbol>@depth@<updateSpeed>`` on ``/public``; prints
up to 3 ``DepthUpdate`` events, then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

from binance_usdm_ws import DepthUpdateSpeed  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.public_api.diff_book_depth_streams()
        .symbol("BTCUSDT")
        .update_speed(DepthUpdateSpeed.UPDATE_SPEED_100ms)
        .execute()
    )  # returns once acknowledged
    show(handle)
