"""Example of the Go connector's ``IndividualSymbolBookTickerStreams``.

``public_api.individual_symbol_book_ticker_streams()``: best bid and ask of a symbol, in real
time. Stream ``<symbol>@bookTicker`` on ``/public``; prints up to 3 ``BookTickerUpdate`` events,
then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.public_api.individual_symbol_book_ticker_streams()
        .symbol("BTCUSDT")
        .execute()
    )  # returns once acknowledged
    show(handle)
