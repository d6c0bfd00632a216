"""Example of the Go connector's ``AssetIndex``.

``market_api.asset_index()``: asset indexes of the multi-assets mode, every 1 s. Stream
``!assetIndex@arr`` on ``/market``; prints up to 3 ``AssetIndexUpdates`` events, then
unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

with client() as c:
    handle = c.websocket_streams.market_api.asset_index().execute()  # returns once acknowledged
    show(handle)
