"""Symbol Price Ticker (NONE): ``ticker.price`` (one symbol; without it, a list of all)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from _common import client, show  # noqa: E402

with client() as c:
    resp = c.websocket_api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").execute()
    show("Result", resp.typed)
