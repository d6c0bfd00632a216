"""Order Book (NONE): the best 5 levels per side with ``depth``."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from _common import client, show  # noqa: E402

with client() as c:
    resp = c.websocket_api.market_data_api.order_book().symbol("BTCUSDT").limit(5).execute()
    show("Result", resp.typed)
