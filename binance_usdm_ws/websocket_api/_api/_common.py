"""What several API modules declare alike: the signed base, shared params and the docs root."""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar, Union

from .._requests import LONG, STRING, Param, Request

__all__ = ["CLIENT_ID", "DOCS", "DecimalLike", "OptionalSymbol", "SignedRequest"]

T = TypeVar("T")

#: Root of the official USDⓈ-M futures documentation.
DOCS = "https://developers.binance.com/docs/derivatives/usds-margined-futures"

#: The rule of ``newClientOrderId``, ``origClientOrderId`` and ``clientAlgoId``.
CLIENT_ID = r"[\.A-Z\:/a-z0-9_-]{1,36}"

#: What a DECIMAL param accepts: exact values only (a float raises ``InvalidRequest``).
DecimalLike = Union[Decimal, str, int]


class SignedRequest(Request[T]):
    """Base of the USER_DATA and TRADE methods: every signed method takes ``recvWindow``.

    The SDK adds ``timestamp``, and ``apiKey`` + ``signature`` unless the session is logged on.
    """

    recv_window = Param[int](
        LONG, doc="Milliseconds the request stays valid after its timestamp (config default)."
    )


class OptionalSymbol(SignedRequest[T]):
    """Base of the signed queries that take an optional ``symbol`` (positions)."""

    symbol = Param[str](STRING, doc="Only this symbol; all symbols when not set.")
