"""Example of the Go connector's ``AllMarketTickersStreams``.

``market_api.all_market_tickers_streams()``: 24 h tickers of the symbols that changed, every 1 s
(one frame, many tickers). Stream ``!ticker@arr`` on ``/market``; prints up to 3 ``Tickers``
events, then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.market_api.all_market_tickers_streams().execute()
    )  # returns once acknowledged
    show(handle)
