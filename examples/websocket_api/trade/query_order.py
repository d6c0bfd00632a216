"""Query Order (USER_DATA): the status of an order with ``order.status``."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from _common import client, resting_limit_order, show  # noqa: E402

with client() as c:
    order = resting_limit_order(c)
    resp = (
        c.websocket_api.trade_api.query_order()
        .symbol("BTCUSDT")
        .orig_client_order_id(order.client_order_id)
        .execute()
    )
    show("Result", resp.typed)
