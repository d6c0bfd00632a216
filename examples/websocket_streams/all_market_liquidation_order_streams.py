"""Example of the Go connector's ``AllMarketLiquidationOrderStreams``.

``market_api.all_market_liquidation_order_streams()``: the latest liquidation of every symbol
(at most one per symbol per second). Stream ``!forceOrder@arr`` on ``/market``; prints up to 3
``ForceOrder`` events, then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.market_api.all_market_liquidation_order_streams().execute()
    )  # returns once acknowledged
    show(handle)
