"""Cancel Order (TRADE): cancel an open order with ``order.cancel``."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from _common import client, resting_limit_order, show  # noqa: E402

with client() as c:
    order = resting_limit_order(c)
    resp = (
        c.websocket_api.trade_api.cancel_order()
        .symbol("BTCUSDT")
        .order_id(order.order_id)
        .execute()
    )
    show("Result", resp.typed)
