"""Exceptions raised by ``binance_usdm_ws``.

The tree::

    BinanceWsError                      root: ``except BinanceWsError`` catches everything below
    ├── InvalidRequest (ValueError)     bad input, raised before anything is sent
    ├── ConnectionClosed                the socket is gone (or was never opened)
    ├── RequestTimeout (TimeoutError)   no reply in time; the connection is still usable
    ├── ServerError                     the server answered with an ``error`` envelope
    │   ├── BadRequest                      400
    │   ├── Unauthorized                    401 (e.g. -2015, API key revoked)
    │   ├── Forbidden                       403 (WAF limit)
    │   ├── RateLimited                     429 (back off; ``retry_after`` when known)
    │   │   └── IpBanned                    418 (banned after repeated 429s)
    │   └── ServerSideError                 5xx
    │       └── ExecutionStatusUnknown      5xx, -1006 or -1007 on an order method
    └── DecodeError                     a reply did not fit its model

Every exception that concerns one request carries ``method``, ``request_id`` and the request's
non-secret ``params`` (signature, API key and secrets removed), so that an order whose outcome is
unknown can be looked up by its client order id.

``outcome_unknown`` is ``True`` on every exception after which an order may or may not have been
placed, modified or cancelled: check it instead of enumerating classes.
"""

from __future__ import annotations

import time
from typing import Any, Optional, Union

from ._redact import mask

__all__ = [
    "BadRequest",
    "BinanceWsError",
    "ConnectionClosed",
    "DecodeError",
    "ExecutionStatusUnknown",
    "Forbidden",
    "InvalidRequest",
    "IpBanned",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "ServerSideError",
    "Unauthorized",
]

RequestId = Union[str, int, None]

# Parameter names that must never appear in an exception, a log line or a repr.
SECRET_PARAMS = frozenset({"signature", "apiKey", "secret", "apiSecret", "privateKey"})


def redact(params: Optional[dict[str, Any]]) -> dict[str, Any]:
    """Return ``params`` without secrets (API key shortened, signature dropped)."""
    if not params:
        return {}
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key == "apiKey" and isinstance(value, str):
            out[key] = mask(value)
        elif key in SECRET_PARAMS:
            continue
        else:
            out[key] = value
    return out


class BinanceWsError(Exception):
    """Raised for every failure of this SDK; the root of the tree."""

    #: True when an order may or may not have been executed (see module docstring).
    outcome_unknown: bool = False

    def __init__(
        self,
        message: str = "",
        *,
        method: Optional[str] = None,
        request_id: RequestId = None,
        params: Optional[dict[str, Any]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.request_id = request_id
        self.params = redact(params)

    def __str__(self) -> str:
        text = self.message
        if self.method is not None:
            text = f"{text} [method={self.method} id={self.request_id!r}]"
        return text


class InvalidRequest(BinanceWsError, ValueError):
    """Raised when a request is malformed; nothing was sent. ``param`` names the culprit."""

    def __init__(self, message: str, *, param: Optional[str] = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.param = param


class ConnectionClosed(BinanceWsError):
    """Raised when the connection is closed, or closes while a call waits for its reply.

    ``__cause__`` holds the transport error that ended the connection, if any. When raised for
    an order method that was already sent, ``outcome_unknown`` is True: the order may exist.
    """

    def __init__(
        self,
        message: str = "connection is closed",
        *,
        code: Optional[int] = None,
        reason: str = "",
        outcome_unknown: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.code = code
        self.reason = reason
        self.outcome_unknown = outcome_unknown

    def __str__(self) -> str:
        text = super().__str__()
        if self.outcome_unknown:
            text += " (outcome unknown: the request was sent; query the order to confirm)"
        return text


class RequestTimeout(BinanceWsError, TimeoutError):
    """Raised when no reply arrived within the timeout; the connection stays usable."""

    def __init__(
        self,
        message: str,
        *,
        timeout: Optional[float] = None,
        outcome_unknown: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.timeout = timeout
        self.outcome_unknown = outcome_unknown


class ServerError(BinanceWsError):
    """Raised when the server answered with an error envelope (``status``, ``code``, ``msg``)."""

    def __init__(
        self,
        *,
        status: Optional[int],
        code: Optional[int],
        msg: str,
        rate_limits: Optional[list[dict[str, Any]]] = None,
        data: Optional[dict[str, Any]] = None,
        **kw: Any,
    ) -> None:
        super().__init__(msg, **kw)
        self.status = status
        self.code = code
        self.msg = msg
        self.rate_limits = rate_limits or []
        self.data = data or {}

    def __str__(self) -> str:
        text = f"status {self.status}, code {self.code}: {self.msg}"
        if self.method is not None:
            text += f" [method={self.method} id={self.request_id!r}]"
        if self.code == -1021:
            text += (
                " - your clock differs from the server's: sync it (e.g. chrony/NTP), or raise"
                " recv_window; the client corrects for the offset it learns from"
                " session.logon and session.status (call auth_api.session_status() to measure it)"
            )
        if self.outcome_unknown:
            text += " (execution status unknown: query the order to confirm)"
        return text


class BadRequest(ServerError):
    """Raised for status 400: the request was rejected (see ``code`` and ``msg``)."""


class Unauthorized(ServerError):
    """Raised for status 401, e.g. -2015 when the API key is invalid or revoked."""


class Forbidden(ServerError):
    """Raised for status 403: the WAF limit was violated."""


class RateLimited(ServerError):
    """Raised for status 429 (or code -1003): back off. ``retry_after`` is in seconds if known."""

    @property
    def retry_after(self) -> Optional[float]:
        """Seconds to wait before retrying, when the server said so."""
        value = self.data.get("retryAfter")
        if isinstance(value, (int, float)):
            # Binance gives an absolute time in ms in `retryAfter`.
            return max(0.0, value / 1000.0 - time.time())
        return None


class IpBanned(RateLimited):
    """Raised for status 418: the IP is banned after repeated rate-limit violations."""


class ServerSideError(ServerError):
    """Raised for status 5xx: a Binance-side failure."""


class ExecutionStatusUnknown(ServerSideError):
    """Raised when an order method got 5xx, -1006 or -1007: the order may have executed."""

    outcome_unknown = True


class DecodeError(BinanceWsError):
    """Raised when a reply or event did not fit its model. ``errors`` lists what failed."""

    def __init__(
        self, message: str, *, errors: Optional[list[str]] = None, payload: Any = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.errors = errors or []
        self.payload = payload
