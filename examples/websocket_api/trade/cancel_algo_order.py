"""Cancel Algo Order (TRADE): cancel a conditional order with ``algoOrder.cancel``."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from _common import client, show, stop_order  # noqa: E402

with client() as c:
    algo = stop_order(c)
    resp = c.websocket_api.trade_api.cancel_algo_order().algo_id(algo.algo_id).execute()
    show("Result", resp.typed)
