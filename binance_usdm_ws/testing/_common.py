"""Small shared pieces of the local exchange: the error type, JSON helpers, number formatting."""

from __future__ import annotations

import json
import secrets
import string
from decimal import Decimal
from typing import Any, Optional

__all__ = [
    "ApiError",
    "RawFloat",
    "dumps",
    "fmt",
    "invalid",
    "json_text",
    "loads",
    "mandatory",
    "random_alnum",
    "signature_payload",
]

_ALNUM = string.ascii_letters + string.digits


class ApiError(Exception):
    """An error envelope to send back: HTTP-like ``status``, Binance ``code`` and ``msg``.

    Args:
        status: The envelope's ``status`` (400, 401, 418, 429, ...).
        code: The negative Binance error code.
        msg: The human-readable message.
        data: Optional ``error.data`` object (e.g. ``{"retryAfter": ...}``).
    """

    def __init__(
        self, status: int, code: int, msg: str, data: Optional[dict[str, Any]] = None
    ) -> None:
        super().__init__(f"{status} {code} {msg}")
        self.status = status
        self.code = code
        self.msg = msg
        self.data = data

    def error_object(self) -> dict[str, Any]:
        """Return the ``error`` member of the envelope."""
        err: dict[str, Any] = {"code": self.code, "msg": self.msg}
        if self.data is not None:
            err["data"] = self.data
        return err


def mandatory(name: str) -> ApiError:
    """Return the -1102 error for a missing or malformed mandatory parameter."""
    return ApiError(
        400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def invalid(name: str) -> ApiError:
    """Return the -1130 error for a parameter with an invalid value."""
    return ApiError(400, -1130, f"Data sent for parameter '{name}' is not valid.")


class RawFloat(float):
    """A JSON number with a fraction or exponent, remembering the exact text it was sent as.

    The signature payload uses the value's JSON text, and ``Decimal`` conversion uses it too,
    so ``0.1`` stays exactly ``0.1``.
    """

    raw: str

    def __new__(cls, text: str) -> RawFloat:
        """Create the number from its JSON text."""
        obj = super().__new__(cls, text)
        obj.raw = text
        return obj


_DECODER = json.JSONDecoder(parse_float=RawFloat)
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    """Parse JSON text, keeping the exact text of non-integer numbers (see :class:`RawFloat`).

    Raises:
        ValueError: If ``text`` is not one JSON document.
    """
    return _DECODER.decode(text)


def dumps(obj: Any) -> str:
    """Encode ``obj`` as compact JSON (non-ASCII kept as is)."""
    return _ENCODER.encode(obj)


def json_text(value: Any) -> str:
    """Return a parameter value as the text that the signature payload uses."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, RawFloat):
        return value.raw
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    return dumps(value)


def signature_payload(params: dict[str, Any]) -> str:
    """Build the payload to sign: every param but ``signature``, sorted, ``name=value`` by ``&``."""
    return "&".join(
        f"{name}={json_text(params[name])}" for name in sorted(params) if name != "signature"
    )


def random_alnum(length: int) -> str:
    """Return ``length`` random ASCII letters and digits."""
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def fmt(value: Decimal, places: int) -> str:
    """Format ``value`` in plain notation with exactly ``places`` decimals (``places`` >= 0)."""
    quantum = Decimal(1).scaleb(-places)
    return format(value.quantize(quantum), "f")
