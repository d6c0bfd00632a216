"""Resolving unknown order outcomes: find out what the exchange did, never send the order again.

An order method (``order.place``, ``order.modify``, ``order.cancel``, ``algoOrder.*``) whose
reply is lost (timeout, dropped connection) or is a 5xx / -1006 / -1007 raises an error with
``outcome_unknown=True``. Resolution queries the order by its client order id (``order.status``)
until one of three things is certain:

* the change happened: the order as the exchange has it is returned, typed like the normal
  reply (``Response.resolved`` is True);
* it did not happen: ``NotExecuted`` (``OrderNotPlaced`` for ``order.place``). "Not found" only
  counts once the request's ``recvWindow`` has passed on the server's clock (plus a margin):
  the gateway (-1021) and the matching engine itself (-5028) reject a request later than
  ``timestamp + recvWindow``, so the order can no longer appear;
* it cannot be known in time (no connection, queries failing, ``resolve_attempts`` or
  ``resolve_timeout`` used up): ``OutcomeUnknown`` with what was found.
"""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Optional

from ..errors import (
    BinanceWsError,
    InvalidRequest,
    NotExecuted,
    OrderNotPlaced,
    OutcomeUnknown,
    ServerError,
)
from ._requests import Request, Response

if TYPE_CHECKING:
    from ._websocket_api import WebsocketApi

__all__ = ["make_resolvable", "resolve_outcome"]

#: Seconds added to the end of the recvWindow before "not found" is final (clock error).
WINDOW_MARGIN = 0.5
#: recvWindow (ms) the server applies when the request sent none.
SERVER_RECV_WINDOW = 5000
_QUERYABLE = ("order.place", "order.modify", "order.cancel")
_ALGO = ("algoOrder.place", "algoOrder.cancel")
_FINAL = frozenset({"FILLED", "CANCELED", "EXPIRED", "EXPIRED_IN_MATCH"})


def make_resolvable(api: Any, error: BinanceWsError, resolve: Optional[bool]) -> Response[Any]:
    """Give ``error`` its ``resolve()``, and resolve at once if asked (or configured)."""
    error._resolver = lambda timeout: resolve_outcome(api, error, timeout)
    if api.config.resolve_outcome if resolve is None else resolve:
        return resolve_outcome(api, error, None)
    raise error


def resolve_outcome(
    api: WebsocketApi, error: BinanceWsError, timeout: Optional[float] = None
) -> Response[Any]:
    """Find out what happened to the order of ``error`` (``BinanceWsError.resolve``)."""
    original = error.original if isinstance(error, OutcomeUnknown) else error
    if original is None or not error.outcome_unknown or original.method not in _QUERYABLE + _ALGO:
        raise InvalidRequest("nothing to resolve: the error has no unknown order outcome")
    method, params = original.method, original.params
    about: dict[str, Any] = dict(method=method, request_id=original.request_id, params=params)
    if method in _ALGO:
        key = params.get("clientAlgoId") or params.get("algoId")
        raise _resolvable(
            api,
            OutcomeUnknown(
                f"{method}: the WS API has no query for algo orders; look up the algo order "
                f"{key!r} with the REST API or in the user data stream (ALGO_UPDATE)",
                original=original,
                **about,
            ),
        )
    cfg = api.config
    deadline = time.monotonic() + (cfg.resolve_timeout if timeout is None else timeout)
    query = api.trade_api.query_order().symbol(params["symbol"])
    if "orderId" in params:
        query.order_id(params["orderId"])
    else:
        query.orig_client_order_id(params.get("newClientOrderId") or params["origClientOrderId"])
    window_end = _window_end(params)
    findings: list[str] = []
    order: Optional[dict[str, Any]] = None
    pause = 0.0  # before the next query: backoff after a failure, else until the window ends
    for attempt in range(1, cfg.resolve_attempts + 1):
        _sleep(min(pause, deadline - time.monotonic()))
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            reply = query.execute(timeout=left if cfg.timeout is None else min(cfg.timeout, left))
        except ServerError as exc:
            if exc.code != -2013:
                findings.append(f"query {attempt}: {type(exc).__name__} {exc.code} {exc.msg}")
                pause = 0.1 * 2**attempt
                continue
            order, found = None, None
        except BinanceWsError as exc:
            findings.append(f"query {attempt}: {type(exc).__name__}: {exc.message}")
            pause = 0.1 * 2**attempt
            continue
        else:
            found = reply
            order = reply.raw.get("result")
        wait = window_end - _server_now(api)
        verdict = _judge(method, params, order, wait <= 0)
        findings.append(f"query {attempt}: {_describe(order)}")
        if verdict is True and found is not None:
            return Response(found.raw, Request.registry[method].result, resolved_from=original)
        if verdict is False:
            cls = OrderNotPlaced if method == "order.place" else NotExecuted
            raise cls(_not_done(method, order), original=original, order=order, **about)
        pause = max(wait, 0.05)
    raise _resolvable(
        api,
        OutcomeUnknown(
            f"{method}: outcome still unknown after {len(findings)} queries",
            original=original,
            order=order,
            findings=findings,
            **about,
        ),
    )


def _resolvable(api: WebsocketApi, error: OutcomeUnknown) -> OutcomeUnknown:
    error._resolver = lambda timeout: resolve_outcome(api, error, timeout)
    return error


def _judge(
    method: str, params: dict[str, Any], order: Optional[dict[str, Any]], window_over: bool
) -> Optional[bool]:
    """True: the change happened; False: it certainly did not; None: not certain yet."""
    status = order.get("status") if order else None
    if method == "order.place":
        return True if order else (False if window_over else None)
    if order is None:
        return False  # no such order: it could not be modified or cancelled
    if method == "order.cancel":
        if status == "CANCELED":
            return True
    elif _same(order.get("price"), params.get("price")) and _same(
        order.get("origQty"), params.get("quantity")
    ):
        return True
    return False if window_over or status in _FINAL else None


def _same(a: Any, b: Any) -> bool:
    try:
        return a is not None and b is not None and Decimal(str(a)) == Decimal(str(b))
    except InvalidOperation:
        return False


def _window_end(params: dict[str, Any]) -> float:
    """Server time (s) after which the request can no longer be accepted, plus the margin."""
    ts = int(params["timestamp"])  # every order method is signed: the SDK always sets it
    if ts > 10**14:  # timeUnit=MICROSECOND
        ts //= 1000
    window = params.get("recvWindow", SERVER_RECV_WINDOW)
    return (ts + float(window)) / 1000 + WINDOW_MARGIN


def _server_now(api: WebsocketApi) -> float:
    return time.time() + api.time_offset_ms / 1000


def _sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def _describe(order: Optional[dict[str, Any]]) -> str:
    if order is None:
        return "order not found (-2013)"
    return (
        f"order {order.get('orderId')} {order.get('status')} "
        f"price {order.get('price')} qty {order.get('origQty')}"
    )


def _not_done(method: str, order: Optional[dict[str, Any]]) -> str:
    if method == "order.place":
        return "order.place: the order was not placed (not found after its recvWindow)"
    verb = "cancelled" if method == "order.cancel" else "modified"
    return f"{method}: the order was not {verb}: {_describe(order)}"
