"""Typed results of the WebSocket API methods (spec §2.2, §2.5, §4).

Every model is a frozen attrs class. Every field is optional and defaults to ``None``: Binance
removes and adds fields without notice, so a missing field is never an error and an unknown one
is ignored. Money, prices and quantities are :class:`~decimal.Decimal` (exact: ``"0.10"`` stays
``Decimal("0.10")``); ids and times are ``int`` (times in ms, or µs with ``timeUnit=MICROSECOND``);
enum fields hold the enum member, or the raw string when the value is new (see
:mod:`binance_usdm_ws.enums`).

Attribute names are the wire keys in snake_case (``listenKey`` → ``listen_key``) unless noted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Generic, Optional, TypeVar, Union

from attrs import define

from .enums import RateLimitInterval, RateLimitType

__all__ = [
    "CloseUserDataStreamResponse",
    "Empty",
    "ErrorBody",
    "KeepaliveUserDataStreamResponse",
    "ListenKey",
    "PriceLevel",
    "RateLimit",
    "StartUserDataStreamResponse",
    "WsApiResponse",
]

T = TypeVar("T")


def _mask(value: Optional[str]) -> str:
    """Repr of an API key: its first four characters only."""
    if value is None:
        return "None"
    return repr(value[:4] + "…") if len(value) > 8 else "'…'"


# --------------------------------------------------------------------------------------------
# Envelope


@define(frozen=True)
class RateLimit:
    """One rate limiter's state, from ``rateLimits`` (spec §2.5).

    Attributes:
        rate_limit_type: ``REQUEST_WEIGHT`` or ``ORDERS``.
        interval: Unit of the window: ``SECOND``, ``MINUTE`` or ``DAY``.
        interval_num: Number of units in the window (``10`` with ``SECOND`` = 10 s).
        limit: Maximum count in the window.
        count: Count used so far in the window.
    """

    rate_limit_type: Optional[Union[RateLimitType, str]] = None
    interval: Optional[Union[RateLimitInterval, str]] = None
    interval_num: Optional[int] = None
    limit: Optional[int] = None
    count: Optional[int] = None


@define(frozen=True)
class ErrorBody:
    """The ``error`` object of a failed response.

    Attributes:
        code: Binance error code (negative, e.g. ``-1102``).
        msg: Human-readable message; may vary for the same code.
    """

    code: Optional[int] = None
    msg: Optional[str] = None


@define(frozen=True)
class WsApiResponse(Generic[T]):
    """A whole successful WS API response: ``id``, ``status``, typed ``result`` and ``rateLimits``.

    Attributes:
        id: The request id, echoed by the server.
        status: HTTP-like status (200 on success).
        result: The method's result, decoded into its model (or a list of models).
        rate_limits: Rate limiter states, when the server sent them.
    """

    id: Union[str, int, None] = None
    status: Optional[int] = None
    result: Optional[T] = None
    rate_limits: Optional[list[RateLimit]] = None


# --------------------------------------------------------------------------------------------
# userDataStream.*


@define(frozen=True)
class ListenKey:
    """Result of ``userDataStream.start`` and ``userDataStream.ping``.

    Attributes:
        listen_key: The key to open ``<streams base>/private/ws/<listenKey>`` with; valid for
            60 minutes after the last start or ping.
    """

    listen_key: Optional[str] = None


@define(frozen=True)
class Empty:
    """Result of ``userDataStream.stop``: an empty object (extra keys are ignored)."""


# --------------------------------------------------------------------------------------------
# Market data


@define(frozen=True)
class PriceLevel:
    """One level of the order book, decoded from a ``["price", "qty"]`` pair.

    Attributes:
        price: Price of the level.
        quantity: Quantity resting at that price.
    """

    price: Decimal
    quantity: Decimal


# --------------------------------------------------------------------------------------------
# Typed responses, named after the official Go connector's types.

StartUserDataStreamResponse = WsApiResponse[ListenKey]
KeepaliveUserDataStreamResponse = WsApiResponse[ListenKey]
CloseUserDataStreamResponse = WsApiResponse[Empty]
