"""Account Information V2 (USER_DATA): ``v2/account.status``."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from _common import client, show  # noqa: E402

with client() as c:
    resp = c.websocket_api.account_api.account_information_v2().execute()
    show("Result", resp.typed)
