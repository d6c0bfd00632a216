"""Modify Order (TRADE): re-price a resting LIMIT order with ``order.modify``."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from _common import below_market, client, resting_limit_order, show  # noqa: E402

with client() as c:
    order = resting_limit_order(c)
    resp = (
        c.websocket_api.trade_api.modify_order()
        .symbol("BTCUSDT")
        .order_id(order.order_id)
        .side("BUY")
        .quantity(order.orig_qty)
        .price(below_market(c, percent=3))
        .execute()
    )
    show("Result", resp.typed)
