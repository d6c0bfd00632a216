"""Example of the Go connector's ``ContractInfoStream``.

``market_api.contract_info_stream()``: contract listings, settlements, status and bracket
changes, in real time. Stream ``!contractInfo`` on ``/market``; prints up to 3 ``ContractInfo``
events, then unsubscribes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _streams_common import client, show  # noqa: E402

with client() as c:
    handle = (
        c.websocket_streams.market_api.contract_info_stream().execute()
    )  # returns once acknowledged
    show(handle)
