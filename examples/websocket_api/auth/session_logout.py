"""Session Logout (NONE): log on, then forget the key with ``session.logout``."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from _common import client, show  # noqa: E402

with client() as c:
    c.websocket_api.auth_api.session_logon().execute()
    resp = c.websocket_api.auth_api.session_logout().execute()
    show("Result", resp.typed)
