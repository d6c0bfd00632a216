"""Session Status (NONE): is this connection logged on? ``session.status``."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from _common import client, show  # noqa: E402

with client() as c:
    resp = c.websocket_api.auth_api.session_status().execute()
    show("Result", resp.typed)
