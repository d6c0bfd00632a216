"""Example of the Go connector's ``RpiDiffBookDepthStreams``.

``public_api.rpi_diff_book_depth_streams()``: order book changes of a symbol with RPI orders
aggregated in, every 500 ms. Stream ``<symbol>@rpiDepth@500ms`` on ``/public``; prints up to 3
``DepthUpdate`` events, then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.public_api.rpi_diff_book_depth_streams().symbol("BTCUSDT").execute()
    )  # returns once acknowledged
    show(handle)
