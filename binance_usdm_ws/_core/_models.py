"""Models both halves share: the base of every stream event, ``UnknownEvent``, ``PriceLevel``.

They live beneath the WebSocket API and the streams so that the converter and the stream delivery
(which hands a payload that does not fit over as an ``UnknownEvent``) need nothing above the core.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from attrs import define, field

from ._redact import mask_text

__all__ = ["PriceLevel", "UnknownEvent"]


def _key(key: str) -> dict[str, str]:
    """Field metadata naming the wire key."""
    return {"key": key}


@define(frozen=True)
class _Event:
    """Fields common to every event.

    Attributes:
        event_type: Event type (``e``).
        event_time: Event time in ms (``E``).
        raw: The payload as received, with any field this version does not model (not part
            of equality or repr).
        decode_problems: The fields that did not fit the model (each is ``None``), with their
            paths and the types received; empty when everything fit (not part of equality or
            repr).
    """

    event_type: Optional[str] = field(default=None, metadata=_key("e"))
    event_time: Optional[int] = field(default=None, metadata=_key("E"))
    raw: dict[str, Any] = field(factory=dict, init=False, eq=False, repr=False)
    #: What did not fit the model, one entry per field (path, expected type, received type);
    #: such a field is ``None``. Empty when everything fit.
    decode_problems: tuple[str, ...] = field(default=(), init=False, eq=False, repr=False)


@define(frozen=True, kw_only=True)
class _TypedEvent(_Event):
    """Base of every modelled event: its ``e`` and ``E`` are always there (``event_type: str``,
    ``event_time: int``); only an :class:`UnknownEvent` may lack them."""

    event_type: str = field(metadata=_key("e"))
    event_time: int = field(metadata=_key("E"))


@define(frozen=True)
class UnknownEvent(_Event):
    """An event this version cannot type, delivered as received: its ``e`` is unknown, or a
    field its model says is always there is missing or does not fit (then ``decode_problems``
    says which).

    Attributes:
        event_type: The ``e`` of the payload (``None`` if absent or not a string).
        event_time: The ``E`` of the payload as an int (``None`` if absent or not a number).
        raw: The whole payload.
        decode_problems: Why a known event could not be typed (empty for an unknown ``e``).
    """

    raw: dict[str, Any] = field(factory=dict, repr=lambda raw: mask_text(repr(raw)))


def _unknown(payload: dict[str, Any]) -> UnknownEvent:
    event_type = payload.get("e")
    event_time = payload.get("E")
    if type(event_time) is str and event_time.isdigit():
        event_time = int(event_time)
    return UnknownEvent(
        event_type=event_type if isinstance(event_type, str) else None,
        event_time=event_time if type(event_time) is int else None,
        raw=payload,
    )


@define(frozen=True)
class PriceLevel:
    """One level of the order book, decoded from a ``["price", "qty"]`` pair.

    Attributes:
        price: Price of the level.
        quantity: Quantity resting at that price.
    """

    price: Decimal
    quantity: Decimal
