"""Decoding that never loses an event: the rule shared by market streams and user data."""

from __future__ import annotations

import logging
from typing import Any

from ..errors import DecodeError
from ._converter import decode
from ._models import _unknown

__all__ = ["decode_leniently"]

logger = logging.getLogger("binance_usdm_ws")


def decode_leniently(payload: dict[str, Any], cls: type) -> Any:
    """Decode an event the converter's hook refused: never lost, never a None its type denies.

    An optional field that does not fit is ``None``, said in ``decode_problems``. A required
    field (typed without ``None``) that is missing or does not fit: the event arrives as an
    :class:`UnknownEvent` with the payload in ``raw`` and the problems in ``decode_problems``.
    Both are logged at WARNING (paths and types, never values). Shared by the market streams
    and :func:`~binance_usdm_ws.decode_event`.
    """
    try:
        event, problems = decode(payload, cls)
        kind = "did not fit the model (None or left out)"
    except DecodeError as exc:
        event, problems = _unknown(payload), tuple(exc.errors)
        kind = f"did not fit {cls.__name__}: delivered as UnknownEvent"
    object.__setattr__(event, "decode_problems", problems)
    logger.warning(
        "%s event: %d value(s) %s: %s",
        payload.get("e", cls.__name__),
        len(problems),
        kind,
        "; ".join(problems),
    )
    return event
