"""Session Logon (SIGNED): authenticate the connection, then sign nothing more.

After ``session.logon`` the balance request below is sent with its timestamp only."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from _common import client, show  # noqa: E402

with client() as c:
    logon = c.websocket_api.auth_api.session_logon().execute()
    show("Logon", logon.typed)
    resp = c.websocket_api.account_api.futures_account_balance().execute()
    show("Balance", resp.typed)
