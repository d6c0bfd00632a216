"""New Algo Order (TRADE): a close-all STOP_MARKET with ``algoOrder.place``."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from _common import below_market, client, show  # noqa: E402

with client() as c:
    resp = (
        c.websocket_api.trade_api.new_algo_order()
        .algo_type("CONDITIONAL")
        .symbol("BTCUSDT")
        .side("SELL")
        .type("STOP_MARKET")
        .trigger_price(below_market(c, percent=10))
        .close_position(True)
        .working_type("MARK_PRICE")
        .execute()
    )
    show("Result", resp.typed)
