"""Generated "flat" decoders: the fast path in front of the converter's hooks.

For a flat model — every field a scalar (``str``, ``int``, ``Decimal``, ``bool``), a lenient
enum, or another type, either optional (defaulting to ``None``) or required (no default: a
missing value raises) — :func:`fast_decoder` generates once per model a straight-line function:
one ``dict.get`` per field, the wire's usual type (or a known enum value) tested inline, the
instance filled through its slots. A model's ``raw`` and
``decode_problems`` attributes (set outside ``__init__``) are filled with the payload and ``()``.

The function answers only when every field is of its usual type. Anything else (a placeholder,
a number as text, an unknown enum value, a value that does not fit, a payload that is not a
dict) raises, and the caller runs the converter's hook exactly as before: the result, or the
error, is the converter's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Optional, get_args, get_origin

import attrs

from ._converter import (
    _OPTIONAL_SCALARS,
    _SCALARS,
    _lenient_enum,
    _NoneType,
    _union_args,
    converter,
    wire_key,
)

__all__ = ["fast_decoder", "fast_list_decoder"]

Fast = Callable[[Any], Any]

#: The inline test of the wire's usual type per optional scalar; ``h`` is the field's hook.
_INLINE = {
    str: "v = g({k!r})\n    if type(v) is not str: v = h{i}(v)",
    int: "v = g({k!r})\n    if type(v) is not int: v = h{i}(v)",
    bool: "v = g({k!r})\n    if type(v) is not bool: v = h{i}(v)",
    Decimal: "v = g({k!r})\n    v = D(v) if type(v) is str else h{i}(v)",
}
#: A lenient enum: a known value is its member, anything else goes through the enum's hook.
_ENUM = "v = g({k!r})\n    x = m{i}(v)\n    v = h{i}(v, t{i}) if x is None else x"
_GENERIC = "v = g({k!r})\n    if v is not None: v = h{i}(v, t{i})"
#: A required object or list: its hook raises on a missing (None) value.
_REQUIRED = "v = h{i}(g({k!r}), t{i})"
_fasts: dict[Any, Optional[Fast]] = {}
_list_fasts: dict[Any, Optional[Fast]] = {}


def fast_decoder(cls: Any) -> Optional[Fast]:
    """The generated decoder of a flat attrs model (cached), or None if the model is not flat."""
    try:
        return _fasts[cls]
    except KeyError:
        pass
    flat = isinstance(cls, type) and get_origin(cls) is None and attrs.has(cls)
    fast = _fasts[cls] = _generate(cls) if flat else None
    return fast


def fast_list_decoder(tp: Any) -> Optional[Fast]:
    """The decoder of ``list[Model]`` for a flat ``Model`` (cached), or None."""
    try:
        return _list_fasts[tp]
    except KeyError:
        pass
    one = get_args(tp)[0] if get_origin(tp) is list else None
    fast = fast_decoder(one) if one is not None else None
    many: Optional[Fast] = None
    if fast is not None:
        one_fast = fast

        def many(value: Any) -> Any:
            if type(value) is not list:
                raise TypeError("not a list")
            return [one_fast(item) for item in value]

    _list_fasts[tp] = many
    return many


def _generate(cls: type) -> Optional[Fast]:
    if (
        "__slots__" not in vars(cls)
        or getattr(cls, "__attrs_pre_init__", None) is not None
        or getattr(cls, "__attrs_post_init__", None) is not None
        or any("cached_hash" in slot for k in cls.__mro__ for slot in vars(k).get("__slots__", ()))
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
        required = a.default is attrs.NOTHING
        if not a.init or not (required or (a.default is None and _NoneType in args)):
            return None  # not flat: the converter's hook decodes it
        (inner, *more) = [arg for arg in args if arg is not _NoneType] or [a.type]
        code = _INLINE.get(inner) if not more else None
        enum_cls = _lenient_enum(a.type)
        if code is not None:
            # A required scalar's hook is the strict one: a missing (None) value raises.
            scope[f"h{i}"] = (_SCALARS if required else _OPTIONAL_SCALARS)[inner]
        elif enum_cls is not None:
            code = _ENUM
            scope[f"m{i}"] = enum_cls._value2member_map_.get
            scope[f"h{i}"] = converter.get_structure_hook(a.type)
            scope[f"t{i}"] = a.type
        else:
            code = _REQUIRED if required else _GENERIC
            scope[f"h{i}"] = converter.get_structure_hook(a.type)
            scope[f"t{i}"] = a.type
        lines.append("    " + code.format(k=wire_key(a), i=i))
        lines.append(f"    s{i}(self, v)")
    lines.append("    return self")
    exec(compile("\n".join(lines), f"<decode {cls.__name__}>", "exec"), scope)  # noqa: S102
    decode: Fast = scope["decode"]
    return decode
