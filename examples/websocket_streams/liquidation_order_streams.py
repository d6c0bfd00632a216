"""Example of the Go connector's ``LiquidationOrderStreams``.

``market_api.liquidation_order_streams()``: the latest liquidation of a symbol (at most one per
second). Stream ``<symbol>@forceOrder`` on ``/market``; prints up to 3 ``ForceOrder`` events,
then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.market_api.liquidation_order_streams().symbol("BTCUSDT").execute()
    )  # returns once acknowledged
    show(handle)
