"""Pure functions of the wire protocol: envelopes, value formatting and error mapping.

No sockets, no threads: everything here is unit-tested with plain dicts.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from decimal import Decimal
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any, Optional

from ..errors import (
    BadRequest,
    ExecutionStatusUnknown,
    Forbidden,
    IpBanned,
    RateLimited,
    RequestId,
    ServerError,
    ServerSideError,
    Unauthorized,
)

__all__ = ["encode_request", "error_from_envelope", "new_request_id", "plain_decimal"]

_encode_slow = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
# The same compact encoding, with the C encoder made once instead of per call. Without the
# circular-reference check (``markers=None``) it keeps no state between calls.
_encode_fast = (
    None
    if c_make_encoder is None
    else c_make_encoder(None, None, encode_basestring, None, ":", ",", False, False, True)
)


def _dumps(value: Any) -> str:
    if _encode_fast is None:  # pragma: no cover - interpreters without the C encoder
        return _encode_slow(value)
    return "".join(_encode_fast(value, 0))


#: Codes that mean "the server does not know whether it executed" (-1006, -1007).
_UNKNOWN_OUTCOME_CODES = frozenset({-1006, -1007})


_ID_PREFIX = uuid.uuid4().hex[:16]
_ids = itertools.count(1)


def new_request_id() -> str:
    """Return a fresh request id, unique in this process and unlikely elsewhere.

    A random per-process prefix and a counter (``"3f2a…-17"``, at most 36 characters): as
    unique as a UUID4 per request, without a system call for every request.
    """
    return f"{_ID_PREFIX}-{next(_ids)}"


_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(n: int) -> str:
    out = ""
    while True:
        n, digit = divmod(n, 36)
        out = _B36[digit] + out
        if not n:
            return out


# 24 random bits and the start time (ms) per process: made once, not for every order.
_ORDER_ID_PREFIX = f"ws{uuid.uuid4().hex[:6]}-{_base36(time.time_ns() // 1_000_000)}-"
_order_ids = itertools.count(1)


def new_client_order_id() -> str:
    """Return a client order id for an order that has none (``newClientOrderId``/``clientAlgoId``).

    ``ws`` + 6 random hex digits per process, the process's start time in ms and a counter, in
    base 36 (``"ws3f2a1c-mj0x8kq3-1"``, about 20 characters): within the server's pattern
    ``[.A-Z:/a-z0-9_-]{1,36}``, unique within a process (the counter) and across restarts (the
    start time and the random part). Only the counter is rendered per call.
    """
    return _ORDER_ID_PREFIX + _base36(next(_order_ids))


def plain_decimal(value: Decimal) -> str:
    """Render a Decimal in plain notation, never exponent form (``Decimal("1E+1")`` → ``"10"``)."""
    return format(value, "f")


def encode_request(request_id: RequestId, method: str, params: Optional[dict[str, Any]]) -> str:
    """Return the JSON text of a request frame; ``params`` is omitted when empty."""
    if params:
        return _dumps({"id": request_id, "method": method, "params": params})
    return _dumps({"id": request_id, "method": method})


def error_from_envelope(
    envelope: dict[str, Any],
    *,
    method: Optional[str] = None,
    request_id: RequestId = None,
    params: Optional[dict[str, Any]] = None,
    order_method: bool = False,
) -> ServerError:
    """Map an error envelope to the right ``ServerError`` subclass — the one place that does.

    Args:
        envelope: the decoded frame, with ``status`` and ``error``.
        method: the request's method, if the frame answers a request.
        request_id: the request's id.
        params: the request's params (secrets are removed by the exception).
        order_method: True for methods that place, modify or cancel orders, where a 5xx or
            -1006/-1007 means the outcome is unknown.
    """
    error = envelope.get("error")
    if not isinstance(error, dict):
        error = {}
    status = envelope.get("status")
    code = error.get("code")
    msg = str(error.get("msg", "unknown error"))
    data = error.get("data") if isinstance(error.get("data"), dict) else None
    cls: type[ServerError]
    if order_method and (
        (isinstance(status, int) and status >= 500) or code in _UNKNOWN_OUTCOME_CODES
    ):
        cls = ExecutionStatusUnknown
    elif status == 418:
        cls = IpBanned
    elif status == 429 or code == -1003:
        cls = RateLimited
    elif status == 401:
        cls = Unauthorized
    elif status == 403:
        cls = Forbidden
    elif isinstance(status, int) and status >= 500:
        cls = ServerSideError
    elif status == 400:
        cls = BadRequest
    else:
        cls = ServerError
    rate_limits = envelope.get("rateLimits")
    return cls(
        status=status if isinstance(status, int) else None,
        code=code if isinstance(code, int) else None,
        msg=msg,
        rate_limits=rate_limits if isinstance(rate_limits, list) else None,
        data=data,
        method=method,
        request_id=request_id,
        params=params,
    )
