"""Symbol Order Book Ticker (NONE): best bid and ask with ``ticker.book``."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from _common import client, show  # noqa: E402

with client() as c:
    resp = c.websocket_api.market_data_api.symbol_order_book_ticker().symbol("BTCUSDT").execute()
    show("Result", resp.typed)
