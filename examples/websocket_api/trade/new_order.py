"""New Order (TRADE): place a LIMIT order with ``order.place``."""

import os
import sys
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from _common import below_market, client, show  # noqa: E402

with client() as c:
    resp = (
        c.websocket_api.trade_api.new_order()
        .symbol("BTCUSDT")
        .side("BUY")
        .type("LIMIT")
        .time_in_force("GTC")
        .quantity(Decimal("0.010"))
        .price(below_market(c))
        .execute()
    )
    show("Result", resp.typed)
