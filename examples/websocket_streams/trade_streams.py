"""Example of ``TradeStreams`` (not a Go connector method: served live, undocumented).

``public_api.trade_streams()``: every fill of a symbol, one frame each. Stream
``<symbol>@trade`` on ``/public``; prints up to 3 ``Trade`` events (a placeholder priced and sized
0 says ``is_placeholder=True``), then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.public_api.trade_streams().symbol("BTCUSDT").execute()
    )  # returns once acknowledged
    show(handle)
