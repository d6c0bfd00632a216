"""Keepalive the user data stream: ``userDataStream.ping``."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from _common import client, show  # noqa: E402

with client() as c:
    resp = c.websocket_api.user_data_streams_api.keepalive_user_data_stream().execute()
    show("Result", resp.typed)
