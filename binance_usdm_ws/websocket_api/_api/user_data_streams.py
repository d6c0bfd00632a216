"""User data stream methods: ``userDataStream.start``, ``.ping``, ``.stop`` (USER_STREAM).

The account has one active listenKey, identified by the API key: none of these methods takes
a listenKey parameter. A key lives 60 minutes; ``start`` on an account that has one returns
the same key and extends it, ``ping`` extends it, ``stop`` invalidates it.
"""

from __future__ import annotations

from .._models import EmptyResult, ListenKeyResult
from .._requests import Request, Security, Transport

__all__ = [
    "CloseUserDataStream",
    "KeepaliveUserDataStream",
    "StartUserDataStream",
    "UserDataStreamsApi",
]

_DOCS = "https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams"


class StartUserDataStream(Request[ListenKeyResult]):
    """Start a user data stream: ``userDataStream.start`` (USER_STREAM, weight 1).

    Returns the account's listenKey (``resp.typed.result.listen_key``): the active one,
    extended by 60 minutes, or a new one. Docs: {docs}/Start-User-Data-Stream-Wsp
    """

    method = "userDataStream.start"
    security = Security.USER_STREAM
    weight = "1"
    result = ListenKeyResult


class KeepaliveUserDataStream(Request[ListenKeyResult]):
    """Keep the listenKey alive for 60 more minutes: ``userDataStream.ping`` (USER_STREAM).

    Fails with code -1125 when the account has no active listenKey.
    Docs: {docs}/Keepalive-User-Data-Stream-Wsp
    """

    method = "userDataStream.ping"
    security = Security.USER_STREAM
    weight = "1"
    result = ListenKeyResult


class CloseUserDataStream(Request[EmptyResult]):
    """Close the user data stream and invalidate its listenKey: ``userDataStream.stop``.

    Fails with code -1125 when the account has no active listenKey.
    Docs: {docs}/Close-User-Data-Stream-Wsp
    """

    method = "userDataStream.stop"
    security = Security.USER_STREAM
    weight = "1"
    result = EmptyResult


for _cls in (StartUserDataStream, KeepaliveUserDataStream, CloseUserDataStream):
    _cls.__doc__ = (_cls.__doc__ or "").replace("{docs}", _DOCS)


class UserDataStreamsApi:
    """``userDataStream.*``: start, keep alive and close the account's listenKey."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def start_user_data_stream(self) -> StartUserDataStream:
        """Build ``userDataStream.start``; see :class:`StartUserDataStream`."""
        return StartUserDataStream(self._transport)

    def keepalive_user_data_stream(self) -> KeepaliveUserDataStream:
        """Build ``userDataStream.ping``; see :class:`KeepaliveUserDataStream`."""
        return KeepaliveUserDataStream(self._transport)

    def close_user_data_stream(self) -> CloseUserDataStream:
        """Build ``userDataStream.stop``; see :class:`CloseUserDataStream`."""
        return CloseUserDataStream(self._transport)
