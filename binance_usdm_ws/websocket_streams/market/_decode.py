"""Decoding of market stream payloads into their models, through the package's converter.

Called in the consumer's thread (never the socket reader's): a consumer that reads only
``.raw`` never pays for it.

Speed: a stream's decoder is looked up once (:func:`decoder_for`). A flat model is decoded by
the generated function of ``_core._fast`` (one ``dict.get`` per field, ``.raw`` set at once),
the one the WS API replies use too. It answers only when every field is of its usual type;
anything else (a placeholder, a number as text, a value that does not fit) goes through the
converter's hook exactly as before, with the same result or the same ``DecodeError``.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

import attrs

from ..._core._converter import converter
from ..._core._fast import fast_decoder as _fast
from ..._core._lenient import decode_leniently
from ..._core._models import UnknownEvent, _unknown
from ._market_wide_models import (
    AssetIndexUpdate,
    AssetIndexUpdates,
    CompositeIndex,
    ContractInfo,
    MarkPriceUpdates,
    MiniTickers,
    Tickers,
    TradingSession,
)
from ._models import (
    AggregateTrade,
    BookTickerUpdate,
    ContinuousKlineUpdate,
    DepthUpdate,
    ForceOrder,
    KlineUpdate,
    MarkPriceUpdate,
    MiniTicker,
    Ticker,
    Trade,
)

logger = logging.getLogger("binance_usdm_ws")

__all__ = ["EVENT_MODELS", "decode_market_event", "decoder_for"]

#: ``e`` → model, for payloads whose stream is not known (a frame of an unnamed ``/ws`` socket).
EVENT_MODELS: dict[str, type] = {
    "aggTrade": AggregateTrade,
    "trade": Trade,
    "markPriceUpdate": MarkPriceUpdate,
    "kline": KlineUpdate,
    "continuous_kline": ContinuousKlineUpdate,
    "24hrMiniTicker": MiniTicker,
    "24hrTicker": Ticker,
    "forceOrder": ForceOrder,
    "bookTicker": BookTickerUpdate,
    "depthUpdate": DepthUpdate,
    "compositeIndex": CompositeIndex,
    "contractInfo": ContractInfo,
    "assetIndexUpdate": AssetIndexUpdate,
    "EquityUpdate": TradingSession,
    "CommodityUpdate": TradingSession,
    "KR_EquityUpdate": TradingSession,
    "HK_EquityUpdate": TradingSession,
    "CN_EquityUpdate": TradingSession,
}

#: element model → its array model
_ARRAYS: dict[type, type] = {
    MiniTicker: MiniTickers,
    Ticker: Tickers,
    MarkPriceUpdate: MarkPriceUpdates,
    AssetIndexUpdate: AssetIndexUpdates,
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
        event = decode_leniently(payload, cls)
    object.__setattr__(event, "raw", payload)
    return event


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
        neither the stream nor ``e`` is known, or when a field its model says is always there
        is missing or does not fit (then ``decode_problems`` says which). A list nobody can
        type arrives as an ``UnknownEvent`` whose ``raw`` is ``{"items": payload}``; so does an
        array frame one element of which cannot be typed.
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
        items: list[Any] = []
        problems: list[str] = []
        for i, item in enumerate(payload):
            if type(item) is not dict:
                problems.append(f"$[{i}]: expected {element.__name__}, got {type(item).__name__}")
                continue
            one = _one(item, element)
            if type(one) is not element:  # a required field did not fit
                problems += (f"$[{i}]{p[1:]}" for p in one.decode_problems)
            items.append(one)
        if problems:
            # An element that cannot be typed makes the frame untyped too (``items`` holds
            # only its model): the frame arrives raw, with the elements' problems.
            whole = UnknownEvent(raw={"items": payload})
            object.__setattr__(whole, "decode_problems", tuple(problems))
            return whole
        return array(raw=payload, items=items)
    if type(payload) is not dict:
        return UnknownEvent(raw={"data": payload})
    cls = model if model is not None and model not in _ELEMENT else None
    if cls is None:
        cls = EVENT_MODELS.get(payload.get("e"))  # type: ignore[arg-type]
    if cls is None or not attrs.has(cls):
        return _unknown(payload)
    return _one(payload, cls)
