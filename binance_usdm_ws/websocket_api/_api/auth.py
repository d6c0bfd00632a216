"""Session authentication: ``session.logon``, ``session.status``, ``session.logout``.

After ``session.logon`` the connection is authenticated with the configured key: signed
requests then carry only their ``timestamp`` (no ``apiKey`` and no ``signature``), unless a
request asks for its own with ``.with_own_signature()``. The client re-logs on after a
reconnect or rotation. Binance's docs say only Ed25519 keys are supported for logon, while
their own example is HMAC-signed: the SDK offers it for every key type it can sign with.
"""

from __future__ import annotations

from .._models import SessionStatusResult
from .._requests import Builds, Request, Security, Service
from ._common import DOCS, SignedRequest

__all__ = ["AuthApi", "SessionLogon", "SessionLogout", "SessionStatus"]

_GENERAL_INFO = f"{DOCS}/websocket-api-general-info"


class SessionLogon(SignedRequest[SessionStatusResult]):
    """Authenticate this connection with the configured key.

    The SDK adds ``apiKey``, ``timestamp`` and ``signature``. Only one key per connection;
    logging on again switches the key. Result: :class:`SessionStatusResult` (``server_time`` is
    used to correct the local clock offset).
    """

    method = "session.logon"
    security = Security.SIGNED
    result = SessionStatusResult
    weight = "2"
    docs = _GENERAL_INFO


class SessionStatus(Request[SessionStatusResult]):
    """Query the authentication state of this connection.

    ``api_key`` and ``authorized_since`` are ``None`` when not logged on; ``server_time``
    updates the client's clock offset.
    """

    method = "session.status"
    result = SessionStatusResult
    weight = "2"
    docs = _GENERAL_INFO


class SessionLogout(Request[SessionStatusResult]):
    """Forget the key of this connection; the socket stays open. A no-op when not logged on."""

    method = "session.logout"
    result = SessionStatusResult
    weight = "2"
    docs = _GENERAL_INFO


class AuthApi(Service):
    """``session.*``: authenticate the connection once instead of signing every request."""

    session_logon = Builds(SessionLogon)
    session_status = Builds(SessionStatus)
    session_logout = Builds(SessionLogout)
