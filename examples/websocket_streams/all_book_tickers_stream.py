"""Example of the Go connector's ``AllBookTickersStream``.

``public_api.all_book_tickers_stream()``: best bid and ask of every symbol, every 5 s. Stream
``!bookTicker`` on ``/public``; prints up to 3 ``BookTickerUpdate`` events, then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.public_api.all_book_tickers_stream().execute()
    )  # returns once acknowledged
    show(handle)
