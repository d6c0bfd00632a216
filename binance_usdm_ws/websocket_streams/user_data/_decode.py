"""``decode_event``: one user data event, dispatched on its ``e`` to its model
(:data:`EVENT_TYPES`); an event type this version does not know is an ``UnknownEvent``.
"""

from __future__ import annotations

from typing import Any, Callable, Union

from ..._core._converter import converter
from ..._core._lenient import decode_leniently
from ..._core._models import UnknownEvent, _unknown
from ...errors import DecodeError
from ._algo_events import AlgoUpdate, ConditionalOrderTriggerReject, GridUpdate, StrategyUpdate
from ._events import (
    AccountConfigUpdate,
    AccountUpdate,
    ListenKeyExpired,
    MarginCall,
    OrderTradeUpdate,
    TradeLite,
)

__all__ = ["EVENT_TYPES", "UserDataEvent", "decode_event"]

# --------------------------------------------------------------------------------------------
# Unknown events and dispatch


UserDataEvent = Union[
    ListenKeyExpired,
    AccountUpdate,
    MarginCall,
    OrderTradeUpdate,
    TradeLite,
    AccountConfigUpdate,
    StrategyUpdate,
    GridUpdate,
    ConditionalOrderTriggerReject,
    AlgoUpdate,
    UnknownEvent,
]

#: Event type (``e``) → model. :func:`decode_event` dispatches through this table.
EVENT_TYPES: dict[str, type] = {
    "listenKeyExpired": ListenKeyExpired,
    "ACCOUNT_UPDATE": AccountUpdate,
    "MARGIN_CALL": MarginCall,
    "ORDER_TRADE_UPDATE": OrderTradeUpdate,
    "TRADE_LITE": TradeLite,
    "ACCOUNT_CONFIG_UPDATE": AccountConfigUpdate,
    "STRATEGY_UPDATE": StrategyUpdate,
    "GRID_UPDATE": GridUpdate,
    "CONDITIONAL_ORDER_TRIGGER_REJECT": ConditionalOrderTriggerReject,
    "ALGO_UPDATE": AlgoUpdate,
}

# The generated hooks, looked up once: decoding an event is one dict lookup and one call.
_HOOKS: dict[str, tuple[Callable[[Any, Any], Any], type]] = {
    name: (converter.get_structure_hook(cls), cls) for name, cls in EVENT_TYPES.items()
}


def decode_event(payload: dict[str, Any]) -> UserDataEvent:
    """Decode one user data stream event (a parsed JSON object) into its model.

    Args:
        payload: The event, e.g. ``json.loads(frame)``.

    Returns:
        The event's model, chosen by its ``e``; an :class:`UnknownEvent` with the raw payload
        when ``e`` is missing or not one of ``EVENT_TYPES``.

    A value that does not fit its model never loses the event, and never becomes a ``None``
    the type denies. An optional field that does not fit is ``None`` (a list item that does not
    fit is left out); a required one (typed without ``None``) missing or not fitting turns the
    whole event into an :class:`UnknownEvent`. Either way the event's ``decode_problems`` says
    which and why, a WARNING is logged on the ``binance_usdm_ws`` logger (paths and value
    types, never values), and ``raw`` keeps the payload as received.

    Raises:
        DecodeError: ``payload`` is not an object.
    """
    try:
        hook, cls = _HOOKS[payload["e"]]
    except (KeyError, TypeError):
        if isinstance(payload, dict):
            return _unknown(payload)
        problem = f"expected an object, got {type(payload).__name__}"
        raise DecodeError(
            f"could not decode event: {problem}", errors=[f"{problem} @ $"], payload=payload
        ) from None
    try:
        event: UserDataEvent = hook(payload, cls)
    except Exception:
        event = decode_leniently(payload, cls)
    # Keep the payload: fields Binance adds before this version models them are not lost.
    object.__setattr__(event, "raw", payload)
    return event
