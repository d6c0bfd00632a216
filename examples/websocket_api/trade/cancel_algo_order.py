"""Cancel Algo Order (TRADE): cancel a conditional order with ``algoOrder.cancel``."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from _common import below_market, client, show  # noqa: E402

with client() as c:
    api = c.websocket_api.trade_api
    placed = (
        api.new_algo_order()
        .algo_type("CONDITIONAL")
        .symbol("BTCUSDT")
        .side("SELL")
        .type("STOP_MARKET")
        .trigger_price(below_market(c, percent=10))
        .close_position(True)
        .execute()
    )
    resp = api.cancel_algo_order().algo_id(placed.typed.result.algo_id).execute()
    show("Result", resp.typed)
