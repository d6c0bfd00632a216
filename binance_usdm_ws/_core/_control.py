"""Stream control frames (``SUBSCRIBE``, ``UNSUBSCRIBE``, ``LIST_SUBSCRIPTIONS``, properties):
one frame sent on a stream connection and its answer awaited — shared by market streams, the
user data stream's ``"subscribe"`` form and the live check."""

from __future__ import annotations

import json
from typing import Any, Optional

from ..errors import RequestTimeout, SubscriptionRejected
from ._connection import Connection, Reply

__all__ = ["control_request"]


def control_request(
    conn: Connection,
    rid: int,
    method: str,
    params: Optional[list[Any]],
    wait: Optional[float],
    where: str,
) -> Any:
    """Send ``{"method", "params", "id"}`` and return the answer's ``result``.

    Args:
        conn: the stream connection.
        rid: the frame's id (an unsigned int, as Binance requires).
        method: ``"SUBSCRIBE"``, ...; params: its params (``None``: none sent).
        wait: seconds to wait for the answer (``None``: forever).
        where: the socket, for messages (e.g. ``"/market"``; never a listenKey).

    Raises:
        SubscriptionRejected: the server answered with an error (``code``, ``msg``).
        RequestTimeout: no answer in time (the id is forgotten: a late answer is dropped).
        ConnectionClosed: the connection closed first.
    """
    frame: dict[str, Any] = {"method": method}
    if params is not None:
        frame["params"] = params
    frame["id"] = rid
    reply = Reply()
    conn.send_request(rid, json.dumps(frame, separators=(",", ":")), reply)
    if not reply.wait(wait):
        conn.forget(rid)
        raise RequestTimeout(
            f"no answer to {method} on {where} within {wait} s",
            timeout=wait,
            method=method,
            request_id=rid,
        )
    message = reply.get()
    error = message.get("error")
    if error is not None:
        err = error if isinstance(error, dict) else {}
        raise SubscriptionRejected(
            status=None,
            code=err.get("code"),
            msg=str(err.get("msg", error)),
            method=method,
            request_id=rid,
        )
    return message.get("result")
