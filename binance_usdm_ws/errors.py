"""Exceptions raised by ``binance_usdm_ws``.

The tree::

    BinanceWsError                      root: ``except BinanceWsError`` catches everything below
    ├── InvalidRequest (ValueError)     bad input, raised before anything is sent
    ├── ConnectionClosed                the socket is gone (or was never opened)
    │   ├── TlsError                        the server's certificate was refused, TLS failed
    │   ├── ProxyError                      the proxy refused or failed the connection
    │   └── ClientClosed                    the client was closed: close() is final
    ├── RequestTimeout (TimeoutError)   no reply in time; the connection is still usable
    ├── ServerError                     the server answered with an ``error`` envelope
    │   ├── BadRequest                      400
    │   ├── Unauthorized                    401 (e.g. -2015, API key revoked)
    │   ├── Forbidden                       403 (WAF limit)
    │   ├── RateLimited                     429 (back off; ``retry_after`` when known)
    │   │   └── IpBanned                    418 (banned after repeated 429s)
    │   ├── ServerSideError                 5xx
    │   │   └── ExecutionStatusUnknown      5xx, -1006 or -1007 on an order method
    │   └── SubscriptionRejected            a stream's SUBSCRIBE refused (``code``, ``msg``)
    ├── DecodeError                     a reply did not fit its model
    ├── OutcomeUnknown                  resolving an unknown outcome found no answer in time
    └── NotExecuted                     resolution: the order change certainly did not happen
        └── OrderNotPlaced                  resolution: the order certainly does not exist

Every exception that concerns one request carries ``method``, ``request_id`` and the request's
non-secret ``params`` (signature, API key and secrets removed), so that an order whose outcome is
unknown can be looked up by its client order id.

``outcome_unknown`` is ``True`` on every exception after which an order may or may not have been
placed, modified or cancelled: check it instead of enumerating classes. ``exc.resolve()`` (on
errors from ``execute_async()``: ``exc.resolve(api=client.websocket_api)``) finds out what
happened.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

if TYPE_CHECKING:
    from .websocket_api._requests import Response
    from .websocket_api._websocket_api import WebsocketApi

from ._core._redact import mask

__all__ = [
    "BadRequest",
    "BinanceWsError",
    "ClientClosed",
    "ConnectionClosed",
    "DecodeError",
    "ExecutionStatusUnknown",
    "Forbidden",
    "InvalidRequest",
    "IpBanned",
    "NotExecuted",
    "OrderNotPlaced",
    "OutcomeUnknown",
    "ProxyError",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "SubscriptionRejected",
    "ServerSideError",
    "TlsError",
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
    #: Set by ``execute()`` on errors whose outcome can be resolved (see ``resolve()``).
    _resolver: Optional[Callable[[Optional[float]], Response[Any]]] = None

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

    def resolve(
        self, timeout: Optional[float] = None, *, api: Optional[WebsocketApi] = None
    ) -> Response[Any]:
        """Find out what happened to the order of an ``outcome_unknown`` error; never re-sends it.

        The order is queried by its client order id (``order.status``) once the connection is
        back, at most ``resolve_attempts`` times within ``timeout``. "Not found" is final only
        after the request's ``recvWindow`` has passed on the server's clock (Binance rejects
        a request it processes later), so the order can no longer appear.

        Args:
            timeout: seconds for the whole resolution; by default ``resolve_timeout``.
            api: the ``client.websocket_api`` to query with; needed only for errors that did not
                come from ``execute()`` (e.g. from an ``execute_async()`` future).

        Returns:
            The order as the exchange has it, typed as the original reply would have been
            (``OrderResult``), with ``.resolved`` True and ``.resolved_from`` this error:
            placed (any status), modified (price and quantity as requested) or cancelled.

        Raises:
            OrderNotPlaced: ``order.place`` certainly placed nothing: placing it again is safe.
            NotExecuted: ``order.modify`` / ``order.cancel`` certainly did not apply (``.order``
                is the order as it is, or None if it does not exist).
            OutcomeUnknown: not certain in time (``.findings``, ``.order``); resolve it again
                later. Always for ``algoOrder.*``: the WS API has no algo order query.
            InvalidRequest: this error has no unknown order outcome (or no ``api`` to ask).
        """
        if self._resolver is not None:
            return self._resolver(timeout)
        if api is None or not self.outcome_unknown:
            raise InvalidRequest(
                "nothing to resolve: this error has no unknown order outcome"
                if not self.outcome_unknown
                else "pass api=client.websocket_api: this error was not raised by execute()"
            )
        from .websocket_api._outcome import resolve_outcome

        return resolve_outcome(api, self, timeout)


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


class ClientClosed(ConnectionClosed):
    """Raised by every entry point of a client after its ``close()``, which is final: market
    and user data streams, local order books, WS API calls and ``connect()``; also by a
    ``WebsocketStreams`` after its own ``close()``. Nothing was opened or sent: make a new
    client."""

    def __init__(self, message: str = "the client is closed: make a new client", **kw: Any):
        super().__init__(message, **kw)


class TlsError(ConnectionClosed):
    """Raised when a connection cannot be opened because TLS failed.

    Usually the server's certificate was not accepted: not signed by a trusted CA (a corporate
    proxy that inspects TLS signs with its own: set ``ca_bundle`` or ``ssl_context``), or not
    valid for the host name. ``__cause__`` is the ``ssl`` error.
    """


class ProxyError(ConnectionClosed):
    """Raised when a connection cannot be opened through the configured proxy.

    The proxy refused (e.g. wrong credentials: HTTP 407 or a SOCKS authentication failure),
    could not be reached, or could not reach the server. ``__cause__`` says which.
    """


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


class SubscriptionRejected(ServerError):
    """The server answered a stream control frame (``SUBSCRIBE``...) with an error.

    Raised by market stream subscriptions and by the user data stream's ``"subscribe"`` form.

    Attributes:
        code: Binance's error code (e.g. 2 for an invalid request).
        msg: Binance's message.
    """

    def __str__(self) -> str:
        return f"code {self.code}: {self.msg} [method={self.method} id={self.request_id!r}]"


class DecodeError(BinanceWsError):
    """Raised when a reply or event did not fit its model. ``errors`` lists what failed.

    ``raw`` (also ``payload``) is what did not fit, as received: for a WS API reply
    (``resp.typed``, ``resp.result``) the whole reply, so nothing of a done deed is lost. The
    message and ``errors`` name paths and types, never values (a value may be a secret).
    """

    def __init__(
        self, message: str, *, errors: Optional[list[str]] = None, payload: Any = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.errors = errors or []
        self.payload = payload

    @property
    def raw(self) -> Any:
        """What did not fit, as received (the whole reply for a WS API reply)."""
        return self.payload


class OutcomeUnknown(BinanceWsError):
    """Raised when resolving an unknown outcome could not find the answer in time.

    ``outcome_unknown`` stays True. ``original`` is the first error (timeout, drop, 5xx),
    ``order`` the order as last seen on the exchange (raw dict) or None, ``findings`` one line
    per query tried. ``resolve()`` may be called again later (the order is never re-sent).
    """

    outcome_unknown = True

    def __init__(
        self,
        message: str,
        *,
        original: Optional[BinanceWsError] = None,
        order: Optional[dict[str, Any]] = None,
        findings: Optional[list[str]] = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.original = original
        self.order = order
        self.findings = list(findings or [])

    def __str__(self) -> str:
        text = super().__str__()
        if self.findings:
            text += " - tried: " + "; ".join(self.findings)
        return text


class NotExecuted(BinanceWsError):
    """Raised by resolution when it is certain the order change did not happen.

    For ``order.modify`` and ``order.cancel``: the order is not (or no longer) as requested.
    ``order`` is the order as the exchange has it (raw dict), or None if it does not exist;
    ``original`` is the error whose outcome was unknown.
    """

    def __init__(
        self,
        message: str,
        *,
        original: Optional[BinanceWsError] = None,
        order: Optional[dict[str, Any]] = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.original = original
        self.order = order


class OrderNotPlaced(NotExecuted):
    """Raised by resolution when it is certain an ``order.place`` did not place the order.

    The client order id was not found after the request's ``recvWindow`` had passed, so the
    exchange can no longer accept it. Placing the order again is safe.
    """
