"""Example of the Go connector's ``CompositeIndexSymbolInformationStreams``.

``market_api.composite_index_symbol_information_streams()``: a composite index and its
constituents, every 1 s. Stream ``<symbol>@compositeIndex`` on ``/market``; prints up to 3
``CompositeIndex`` events, then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.market_api.composite_index_symbol_information_streams()
        .symbol("DEFIUSDT")
        .execute()
    )  # returns once acknowledged
    show(handle)
