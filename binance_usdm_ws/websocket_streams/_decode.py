"""Decoding of market stream payloads into their models, through the package's converter.

Called in the consumer's thread (never the socket reader's): a consumer that reads only
``.raw`` never pays for it.

Speed: a stream's decoder is looked up once (:func:`decoder_for`). For a flat model — every
field an optional scalar (``str``, ``int``, ``Decimal``, ``bool``) or another optional type
defaulting to ``None`` — a straight-line function is generated once per model: one
``dict.get`` per field, the wire's usual type tested inline, the instance filled through its
slots with ``.raw`` set at once. It answers only when every field is of its usual type;
anything else (a placeholder, a number as text, a value that does not fit) goes through the
converter's hook exactly as before, with the same result or the same ``DecodeError``.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any, Callable, Optional

import attrs

from .._core._converter import (
    _OPTIONAL_SCALARS,
    _NoneType,
    _union_args,
    converter,
    decode,
    wire_key,
)
from .._core._models import UnknownEvent, _unknown
from . import _models as m

logger = logging.getLogger("binance_usdm_ws")

__all__ = ["EVENT_MODELS", "decode_market_event", "decoder_for"]

#: ``e`` → model, for payloads whose stream is not known (a frame of an unnamed ``/ws`` socket).
EVENT_MODELS: dict[str, type] = {
    "aggTrade": m.AggregateTrade,
    "markPriceUpdate": m.MarkPriceUpdate,
    "kline": m.KlineUpdate,
    "continuous_kline": m.ContinuousKlineUpdate,
    "24hrMiniTicker": m.MiniTicker,
    "24hrTicker": m.Ticker,
    "forceOrder": m.ForceOrder,
    "bookTicker": m.BookTickerUpdate,
    "depthUpdate": m.DepthUpdate,
    "compositeIndex": m.CompositeIndex,
    "contractInfo": m.ContractInfo,
    "assetIndexUpdate": m.AssetIndexUpdate,
    "EquityUpdate": m.TradingSession,
    "CommodityUpdate": m.TradingSession,
    "KR_EquityUpdate": m.TradingSession,
    "HK_EquityUpdate": m.TradingSession,
    "CN_EquityUpdate": m.TradingSession,
}

#: element model → its array model
_ARRAYS: dict[type, type] = {
    m.MiniTicker: m.MiniTickers,
    m.Ticker: m.Tickers,
    m.MarkPriceUpdate: m.MarkPriceUpdates,
    m.AssetIndexUpdate: m.AssetIndexUpdates,
}
_ELEMENT = {array: one for one, array in _ARRAYS.items()}

_hooks: dict[type, Callable[[Any, Any], Any]] = {}


def _hook(cls: type) -> Callable[[Any, Any], Any]:
    hook = _hooks.get(cls)
    if hook is None:
        hook = _hooks[cls] = converter.get_structure_hook(cls)
    return hook


def _one(payload: dict[str, Any], cls: type) -> Any:
    fast = _fast(cls)
    if fast is not None:
        try:
            return fast(payload)
        except Exception:  # noqa: S110 - the converter's hook below decides, as it always did
            pass
    try:
        event = _hook(cls)(payload, cls)
    except Exception:
        # One field that does not fit does not lose the event (the rule of replies and user
        # data events): it is None and said; only a payload of the wrong shape raises.
        event, problems = decode(payload, cls)
        object.__setattr__(event, "decode_problems", problems)
        logger.warning(
            "%s event: %d value(s) did not fit the model (None or left out): %s",
            cls.__name__,
            len(problems),
            "; ".join(problems),
        )
    object.__setattr__(event, "raw", payload)
    return event


#: The inline test of the wire's usual type per optional scalar; ``h`` is the field's hook.
_INLINE = {
    str: "v = g({k!r})\n    if type(v) is not str: v = h{i}(v)",
    int: "v = g({k!r})\n    if type(v) is not int: v = h{i}(v)",
    bool: "v = g({k!r})\n    if type(v) is not bool: v = h{i}(v)",
    Decimal: "v = g({k!r})\n    v = D(v) if type(v) is str else h{i}(v)",
}
_GENERIC = "v = g({k!r})\n    if v is not None: v = h{i}(v, t{i})"
_fasts: dict[type, Optional[Callable[[dict[str, Any]], Any]]] = {}


def _fast(cls: type) -> Optional[Callable[[dict[str, Any]], Any]]:
    """The generated decoder of a flat model (cached), or None if the model is not flat."""
    if cls in _fasts:
        return _fasts[cls]
    fast = _fasts[cls] = _generate(cls)
    return fast


def _generate(cls: type) -> Optional[Callable[[dict[str, Any]], Any]]:
    if (
        "__slots__" not in vars(cls)
        or getattr(cls, "__attrs_pre_init__", None) is not None
        or getattr(cls, "__attrs_post_init__", None) is not None
    ):
        return None
    attrs.resolve_types(cls)
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls, "D": Decimal}
    lines = ["def decode(o):", "    g = o.get", "    self = new(cls)"]
    for i, a in enumerate(attrs.fields(cls)):
        slot = next((vars(k)[a.name] for k in cls.__mro__ if a.name in vars(k)), None)
        if slot is None or not hasattr(slot, "__set__"):
            return None  # not a slotted class all the way up
        scope[f"s{i}"] = slot.__set__
        if a.validator is not None or a.converter is not None:
            return None  # __init__ would run them
        if a.name == "raw" and not a.init:
            lines.append(f"    s{i}(self, o)")
            continue
        if a.name == "decode_problems" and not a.init:
            lines.append(f"    s{i}(self, ())")
            continue
        args = _union_args(a.type)
        if not a.init or a.default is not None or _NoneType not in args:
            return None  # not flat: the converter's hook decodes it
        (inner, *more) = [arg for arg in args if arg is not _NoneType]
        code = _INLINE.get(inner) if not more else None
        if code is not None:
            scope[f"h{i}"] = _OPTIONAL_SCALARS[inner]
        else:
            code = _GENERIC
            scope[f"h{i}"] = converter.get_structure_hook(a.type)
            scope[f"t{i}"] = a.type
        lines.append("    " + code.format(k=wire_key(a), i=i))
        lines.append(f"    s{i}(self, v)")
    lines.append("    return self")
    exec(compile("\n".join(lines), f"<decode {cls.__name__}>", "exec"), scope)  # noqa: S102
    decode: Callable[[dict[str, Any]], Any] = scope["decode"]
    return decode


def decoder_for(model: Optional[type]) -> Callable[[Any], Any]:
    """The decoder of one stream's payloads (``decode_market_event`` bound to its model)."""
    if model is None or model in _ELEMENT or not attrs.has(model):
        return lambda payload: decode_market_event(payload, model)

    fast = _fast(model)
    if fast is None:

        def decode(payload: Any) -> Any:
            if type(payload) is dict and "stream" not in payload:
                return _one(payload, model)
            return decode_market_event(payload, model)

        return decode

    def decode_fast(payload: Any) -> Any:
        if type(payload) is dict and "stream" not in payload:
            try:
                return fast(payload)
            except Exception:  # noqa: S110 - the converter's hook decides, as it always did
                pass
        return decode_market_event(payload, model)

    return decode_fast


def decode_market_event(payload: Any, model: Optional[type] = None) -> Any:
    """Decode one market stream payload (parsed JSON) into its model.

    Args:
        payload: The payload (a ``{"stream","data"}`` envelope is unwrapped).
        model: The stream's model when the stream is known (an array model for array
            streams); otherwise chosen by ``e`` (an array by the ``e`` of its elements).

    Returns:
        The typed event; an :class:`~binance_usdm_ws.UnknownEvent` holding the payload when
        neither the stream nor ``e`` is known. A list nobody can type arrives as an
        ``UnknownEvent`` whose ``raw`` is ``{"items": payload}``.

    Raises:
        DecodeError: a known payload does not fit its model.
    """
    if type(payload) is dict and "stream" in payload and "data" in payload:
        payload = payload["data"]
    if type(payload) is list:
        element = _ELEMENT.get(model) if model is not None else None
        if element is None and payload and type(payload[0]) is dict:
            element = EVENT_MODELS.get(payload[0].get("e"))  # type: ignore[arg-type]
        array = _ARRAYS.get(element) if element is not None else None
        if array is None or element is None:
            return UnknownEvent(raw={"items": payload})
        items = [_one(item, element) for item in payload]
        return array(raw=payload, items=items)
    if type(payload) is not dict:
        return UnknownEvent(raw={"data": payload})
    cls = model if model is not None and model not in _ELEMENT else None
    if cls is None:
        cls = EVENT_MODELS.get(payload.get("e"))  # type: ignore[arg-type]
    if cls is None or not attrs.has(cls):
        return _unknown(payload)
    return _one(payload, cls)
