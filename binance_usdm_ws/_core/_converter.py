"""The one cattrs converter that decodes every reply and event of this package.

Rules, configured once in :func:`make_converter`:

* **Names.** Models are ``@define(frozen=True)`` attrs classes with snake_case attributes. The wire
  key is the attribute name in camelCase (``listen_key`` → ``listenKey``). A key that does not
  follow that rule is declared on the field itself, ``field(metadata={"key": "E"})``.
* **Numbers.** ``Decimal`` fields accept a string (the Binance way), an int, or a float (read
  through ``str()`` so ``0.1`` stays ``Decimal("0.1")``). ``int`` fields accept an int or a string
  of digits (``listenKeyExpired.E`` is sometimes a string). ``bool`` fields accept a bool or the
  strings ``"true"``/``"false"`` in any case (``isAutoAddMargin`` is a string on the wire).
  ``str`` fields also take a number and keep its text (ids that turn from strings into numbers).
* **Enums are lenient.** A field typed ``Optional[Union[SomeEnum, str]]`` decodes a known value to
  the member and an unknown value to the **raw string**, never an error: Binance adds enum values
  without notice.
* **Placeholders are absent.** An optional number, bool or enum field that holds ``"null"``,
  ``"None"`` or ``""`` (the official connectors' own fixtures send ``"icebergQuantity": "null"``
  and ``"None"``) decodes to ``None``. A ``str`` field keeps such text as sent.
* **Unknown keys are ignored** by the shipped converter; ``make_converter(strict=True)`` forbids
  them (the tests use it to detect drift between the models and the recorded samples).
* **Speed.** Structuring functions are generated once per class (``make_dict_structure_fn``,
  through one hook factory for attrs classes), and the scalar hooks test the wire's own type
  first. cattrs' detailed validation stays on: on CPython 3.11 it costs about 3 % of an
  ``ORDER_TRADE_UPDATE`` decode (measured: 10.2 µs without, 10.5 µs with), and it gives every
  :class:`~binance_usdm_ws.errors.DecodeError` the full list of problems with their paths.
  In front of these hooks, the flat models (replies and market events) have a generated
  decoder (``_fast.py``) that answers only when every field has its usual type.

* **Lenient decoding of good replies.** :func:`decode` is what the client and
  :func:`~binance_usdm_ws.decode_event` use: it runs the generated function first and, only if
  that fails, decodes field by field. An optional field whose value does not fit its type
  becomes ``None`` (a list item that does not fit is left out of its list) and the problem is
  recorded, with its path and the type of the value (never the value: it may be a secret). A
  value whose overall shape is wrong (a list where an object is expected), or a **required**
  field (typed without ``None``: one Binance always sends) that is missing or does not fit,
  raises :class:`~binance_usdm_ws.errors.DecodeError` with every problem found: a model never
  holds a ``None`` its type denies. :func:`structure` stays strict.

Only decoding is configured: the package never unstructures models.
"""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Callable, Optional, TypeVar, Union, cast, get_args, get_origin, overload

import attrs
from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, override
from cattrs.v import format_exception, transform_error

from ..errors import DecodeError
from ._models import PriceLevel

if sys.version_info >= (3, 10):
    from types import UnionType

    _UNION_TYPES: tuple[Any, ...] = (Union, UnionType)
else:  # pragma: no cover
    _UNION_TYPES = (Union,)

__all__ = [
    "REQUIRED",
    "converter",
    "decode",
    "explain",
    "make_converter",
    "structure",
    "wire_key",
    "wire_keys",
]

T = TypeVar("T")
Hook = Callable[[Any, Any], Any]
_NoneType = type(None)
#: Texts that stand for "no value" in an optional non-string field.
PLACEHOLDERS = frozenset({"null", "None", ""})


def wire_key(attribute: attrs.Attribute[Any]) -> str:
    """Return the wire key of a model attribute: ``metadata["key"]`` or the camelCase name."""
    key = attribute.metadata.get("key")
    if key is not None:
        return str(key)
    head, *rest = attribute.name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# ---------------------------------------------------------------------------------------------
# Scalar hooks. These run for every field of every event, so they test the common case first.


def _decimal(value: Any, _: Any = None) -> Decimal:
    if type(value) is str:
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
    if type(value) is int:
        return Decimal(value)
    if type(value) is float:
        return Decimal(str(value))
    if isinstance(value, Decimal):
        return value
    raise TypeError(f"expected a decimal string or a number, got {type(value).__name__}")


def _int(value: Any, _: Any = None) -> int:
    if type(value) is int:
        return value
    if type(value) is str:
        return int(value)
    if type(value) is float and value.is_integer():
        return int(value)
    raise TypeError(f"expected an integer, got {type(value).__name__} {value!r}")


def _bool(value: Any, _: Any = None) -> bool:
    if value is True or value is False:
        return value
    if type(value) is str:
        text = value.lower()
        if text == "true":
            return True
        if text == "false":
            return False
        raise ValueError(f"expected 'true' or 'false', got {value!r}")
    raise TypeError(f"expected a boolean, got {type(value).__name__} {value!r}")


def _str(value: Any, _: Any = None) -> str:
    if type(value) is str:
        return value
    if type(value) in (int, float):
        return str(value)
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _str_or_int(value: Any, _: Any = None) -> Union[str, int, None]:
    if value is None or type(value) in (str, int):
        return cast(Union[str, int, None], value)
    raise TypeError(f"expected a string or an integer, got {type(value).__name__}")


def _price_level(value: Any, _: Any = None) -> PriceLevel:
    """Decode a ``["price", "qty"]`` pair of ``depth``."""
    if type(value) is not list and type(value) is not tuple:
        raise TypeError(f"expected a [price, quantity] pair, got {type(value).__name__}")
    if len(value) != 2:
        raise ValueError(f"expected a [price, quantity] pair, got {len(value)} items")
    return PriceLevel(price=_decimal(value[0]), quantity=_decimal(value[1]))


_SCALARS: dict[Any, Callable[..., Any]] = {Decimal: _decimal, int: _int, bool: _bool, str: _str}


# The ``Optional`` variants are what nearly every field uses: the wire's own type is tested
# first and answered without a further call.


def _optional_decimal(value: Any, _: Any = None) -> Optional[Decimal]:
    if type(value) is str:
        try:
            return Decimal(value)
        except InvalidOperation:
            if value in PLACEHOLDERS:
                return None
            raise ValueError(f"not a decimal number: {value!r}") from None
    return None if value is None else _decimal(value)


def _optional_int(value: Any, _: Any = None) -> Optional[int]:
    if type(value) is int or value is None:
        return value
    if type(value) is str and value in PLACEHOLDERS:
        return None
    return _int(value)


def _optional_bool(value: Any, _: Any = None) -> Optional[bool]:
    if value is True or value is False or value is None:
        return value
    if type(value) is str and value in PLACEHOLDERS:
        return None
    return _bool(value)


def _optional_str(value: Any, _: Any = None) -> Optional[str]:
    if type(value) is str or value is None:
        return value
    return _str(value)


_OPTIONAL_SCALARS: dict[Any, Hook] = {
    Decimal: _optional_decimal,
    int: _optional_int,
    bool: _optional_bool,
    str: _optional_str,
}


# ---------------------------------------------------------------------------------------------
# Predicates and factories for composite types.


def _union_args(tp: Any) -> tuple[Any, ...]:
    return get_args(tp) if get_origin(tp) in _UNION_TYPES else ()


def _lenient_enum(tp: Any) -> Union[type[Enum], None]:
    """Return the enum of ``Union[SomeEnum, str]`` or ``Optional[Union[SomeEnum, str]]``."""
    args = set(_union_args(tp)) - {_NoneType}
    if len(args) != 2 or str not in args:
        return None
    (other,) = args - {str}
    if isinstance(other, type) and issubclass(other, Enum):
        return other
    return None


def _make_lenient_enum_hook(tp: Any) -> Hook:
    """Build the hook of ``Union[SomeEnum, str]``: member if known, raw string if not."""
    enum_cls = _lenient_enum(tp)
    assert enum_cls is not None
    members = enum_cls._value2member_map_
    optional = _NoneType in _union_args(tp)
    absent = PLACEHOLDERS if optional else frozenset()

    def structure_lenient_enum(value: Any, _: Any) -> Any:
        member = members.get(value)
        if member is not None:
            return member
        if value is None:
            if optional:
                return None
            raise TypeError("expected a string, got NoneType")
        if type(value) is not str:
            raise TypeError(f"expected a string, got {type(value).__name__}")
        if value in absent:
            return None
        try:
            return enum_cls(value)  # lets an enum's ``_missing_`` match spelling variants
        except ValueError:
            return value  # unknown value: keep the raw string

    return structure_lenient_enum


def _is_optional(tp: Any) -> bool:
    args = _union_args(tp)
    return len(args) == 2 and _NoneType in args and _lenient_enum(tp) is None


def _make_optional_hook(tp: Any, conv: Converter) -> Hook:
    (inner,) = (arg for arg in get_args(tp) if arg is not _NoneType)
    scalar = _OPTIONAL_SCALARS.get(inner)
    if scalar is not None:
        return scalar
    handler = conv.get_structure_hook(inner)

    def structure_optional(value: Any, _: Any) -> Any:
        if value is None or (type(value) is str and value in PLACEHOLDERS):
            return None
        return handler(value, inner)

    return structure_optional


def _one_or_many(tp: Any) -> Union[type, None]:
    """Return ``X`` for ``Union[X, list[X]]`` (optionally with ``None``), X an attrs class."""
    args = [arg for arg in _union_args(tp) if arg is not _NoneType]
    if len(args) != 2:
        return None
    for one, many in (args, args[::-1]):
        if attrs.has(one) and get_origin(many) is list and get_args(many) == (one,):
            return cast(type, one)
    return None


def _make_one_or_many_hook(tp: Any, conv: Converter) -> Hook:
    one = _one_or_many(tp)
    many = list[one]  # type: ignore[valid-type]
    one_hook = conv.get_structure_hook(one)
    many_hook = conv.get_structure_hook(many)

    def structure_one_or_many(value: Any, _: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            return many_hook(value, many)
        return one_hook(value, one)

    return structure_one_or_many


def _make_attrs_hook(cls: Any, conv: Converter) -> Hook:
    """Generate the structuring function of an attrs class, with the wire key of each field."""
    renames: dict[str, Any] = {}
    for attribute in attrs.fields(get_origin(cls) or cls):
        key = wire_key(attribute)
        if key != attribute.name:
            renames[attribute.name] = override(rename=key)
    generated = make_dict_structure_fn(cls, conv, **renames)
    name = _type_name(cls)

    def structure_attrs(value: Any, tp: Any) -> Any:
        # The generated function tests keys with ``in``, which a string would also answer.
        if type(value) is not dict:
            raise TypeError(f"expected an object for {name}, got {type(value).__name__}")
        return generated(value, tp)

    return structure_attrs


def _is_attrs(tp: Any) -> bool:
    return attrs.has(get_origin(tp) or tp)


def make_converter(strict: bool = False, *, detailed_validation: bool = True) -> Converter:
    """Build and configure a converter.

    Args:
        strict: Forbid keys that the model does not declare (for drift tests). The shipped
            converter ignores them because Binance adds fields without notice.
        detailed_validation: Collect every error with its path (the default). ``False`` stops at
            the first error and reports it without a path; it is barely faster.

    Returns:
        A fully configured ``cattrs.Converter``; configure nothing more after first use.
    """
    conv = Converter(forbid_extra_keys=strict, detailed_validation=detailed_validation)
    for scalar, hook in _SCALARS.items():
        conv.register_structure_hook(scalar, hook)
    conv.register_structure_hook(Union[str, int, None], _str_or_int)
    # Later registrations win, so the most specific predicates come last.
    conv.register_structure_hook_factory(_is_attrs, _make_attrs_hook)
    conv.register_structure_hook_factory(_is_optional, _make_optional_hook)
    conv.register_structure_hook_factory(
        lambda tp: _one_or_many(tp) is not None, _make_one_or_many_hook
    )
    conv.register_structure_hook_factory(
        lambda tp: _lenient_enum(tp) is not None, _make_lenient_enum_hook
    )
    conv.register_structure_hook(PriceLevel, _price_level)
    return conv


#: The converter used by the client and by the user data events' ``decode_event``.
converter = make_converter()


def _type_name(tp: Any) -> str:
    """Readable name of a type: ``Optional[int]`` → ``int``, ``Union[Side, str]`` → ``Side``."""
    enum_cls = _lenient_enum(tp)
    if enum_cls is not None:
        return enum_cls.__name__
    args = _union_args(tp)
    if args:
        names = [_type_name(arg) for arg in args if arg is not _NoneType]
        return " or ".join(names)
    origin = get_origin(tp)
    if origin is not None:
        inner = ", ".join(_type_name(arg) for arg in get_args(tp))
        return f"{_type_name(origin)}[{inner}]"
    return str(getattr(tp, "__name__", None) or repr(tp))


def _format_exception(exc: BaseException, tp: Union[type, None]) -> str:
    """Describe one failure: what was expected, and the hook's own explanation."""
    if isinstance(exc, (ValueError, TypeError)):
        if tp is None:  # a converter without detailed validation: no field to name
            return f"invalid value ({exc})"
        return f"invalid value, expected {_type_name(tp)} ({exc})"
    return format_exception(exc, tp)


def explain(exc: BaseException, data: Any, cls: Any) -> DecodeError:
    """Build the :class:`DecodeError` for a failure to decode ``data`` into ``cls``.

    ``errors`` comes from ``cattrs.transform_error``; its paths use attribute names
    (``$.order.order_id``), not wire keys. The caller raises it ``from exc``.
    """
    errors = transform_error(exc, format_exception=_format_exception)
    message = f"could not decode {_type_name(cls)}: " + "; ".join(errors)
    return DecodeError(message, errors=errors, payload=data)


@overload
def structure(data: Any, cls: type[T], conv: Union[Converter, None] = None) -> T: ...


@overload
def structure(data: Any, cls: Any, conv: Union[Converter, None] = None) -> Any: ...


def structure(data: Any, cls: Any, conv: Union[Converter, None] = None) -> Any:
    """Decode ``data`` (parsed JSON) into ``cls``.

    Args:
        data: The parsed JSON value (a dict, a list, ...).
        cls: The model, or a type such as ``list[PriceTickerResult]`` or
            ``Optional[list[RateLimit]]``.
            (Type checkers see the result of a ``Union``/``Optional`` target as ``Any``: annotate
            the variable that receives it.)
        conv: The converter to use; the shipped lenient :data:`converter` by default.

    Returns:
        The decoded value.

    Raises:
        DecodeError: ``data`` does not fit ``cls``. ``errors`` lists each problem, ``payload``
            holds ``data``, and ``__cause__`` is the cattrs exception.
    """
    conv = converter if conv is None else conv
    try:
        return conv.structure(data, cls)
    except Exception as exc:
        raise explain(exc, data, cls) from exc


# ---------------------------------------------------------------------------------------------
# Lenient decoding of successful replies and events.

_LEFT_OUT: Any = object()
#: The problem of a required field (one typed without ``None``) that is missing or does not fit.
REQUIRED = "required, missing or does not fit"


class _Unfit(Exception):
    """A required field is missing or does not fit: the whole value cannot be typed."""


def _optional_inner(tp: Any) -> Any:
    """``X`` for ``Optional[X]`` (not for a lenient enum), else ``tp`` itself."""
    if _is_optional(tp):
        (inner,) = (arg for arg in get_args(tp) if arg is not _NoneType)
        return inner
    return tp


def _shape_fits(value: Any, tp: Any) -> bool:
    """Whether ``value`` has the shape of ``tp``: an object for a model, a list for a list."""
    tp = _optional_inner(tp)
    if _one_or_many(tp) is not None:
        return type(value) is dict or type(value) is list
    if _is_attrs(tp):
        return type(value) is dict
    if get_origin(tp) is list:
        return type(value) is list
    return False


def _lenient(value: Any, tp: Any, path: str, problems: list[str], conv: Converter) -> Any:
    """Decode ``value`` into ``tp``; what does not fit is recorded and returned as ``_LEFT_OUT``."""
    try:
        return conv.get_structure_hook(tp)(value, tp)
    except Exception:  # noqa: S110 - the field-by-field path below finds and records the problem
        pass
    inner = _optional_inner(tp)
    one = _one_or_many(inner)
    if one is not None:
        inner = list[one] if type(value) is list else one  # type: ignore[valid-type]
    if type(value) is dict and _is_attrs(inner) and inner is not PriceLevel:
        kwargs: dict[str, Any] = {}
        unfit = False  # decoding goes on after a required field fails, to say every problem
        for attribute in _init_fields(inner):
            key = wire_key(attribute)
            decoded = _LEFT_OUT
            if key in value:
                try:
                    decoded = _lenient(
                        value[key], attribute.type, f"{path}.{attribute.name}", problems, conv
                    )
                except _Unfit:  # a required field inside it failed (and was said)
                    unfit = True
                    continue
            if decoded is not _LEFT_OUT:
                kwargs[attribute.name] = decoded
            elif attribute.default is attrs.NOTHING:
                # A field the type says is always there is missing or does not fit: nothing
                # that holds it can be typed (never a None the type denies).
                problems.append(f"{path}.{attribute.name}: {REQUIRED}")
                unfit = True
            elif key in value:
                kwargs[attribute.name] = None
        if unfit:
            raise _Unfit
        return inner(**kwargs)
    if type(value) is list and get_origin(inner) is list:
        (item_type,) = get_args(inner)
        items = []
        unfit = False
        for index, item in enumerate(value):
            try:
                decoded = _lenient(item, item_type, f"{path}[{index}]", problems, conv)
            except _Unfit:  # not left out: the list would be wrong without it
                unfit = True
                continue
            if decoded is not _LEFT_OUT:
                items.append(decoded)
        if unfit:
            raise _Unfit
        return items
    problems.append(f"{path}: expected {_type_name(tp)}, got {type(value).__name__}")
    return _LEFT_OUT


_FIELDS: dict[Any, tuple[attrs.Attribute[Any], ...]] = {}
_WIRE_KEYS: dict[Any, frozenset[str]] = {}


def wire_keys(tp: Any) -> frozenset[str]:
    """The wire keys a model declares (empty for anything but an attrs class; cached)."""
    keys = _WIRE_KEYS.get(tp)
    if keys is None:
        keys = frozenset(wire_key(a) for a in _init_fields(tp)) if _is_attrs(tp) else frozenset()
        _WIRE_KEYS[tp] = keys
    return keys


def _init_fields(cls: Any) -> tuple[attrs.Attribute[Any], ...]:
    """The attributes of an attrs class set through ``__init__``, with resolved types (cached)."""
    fields = _FIELDS.get(cls)
    if fields is None:
        attrs.resolve_types(cls)
        fields = _FIELDS[cls] = tuple(a for a in attrs.fields(cls) if a.init)
    return fields


def decode(
    data: Any, cls: Any, conv: Union[Converter, None] = None, *, path: str = "$"
) -> tuple[Any, tuple[str, ...]]:
    """Decode ``data`` into ``cls`` leniently: an optional field that does not fit is ``None``,
    and said.

    The generated structuring function runs first; only when it fails is ``data`` decoded field
    by field: a value that does not fit its optional field becomes ``None`` (a list item that
    does not fit is left out of the list), and each such problem is listed with its path and the
    type of the value that did not fit. A required field (typed without ``None``) that is
    missing or does not fit, anywhere in ``data``, makes the whole of it undecodable: never a
    ``None`` the type denies.

    Args:
        data: The parsed JSON value.
        cls: The model, a ``list[...]`` of models, or ``Union[X, list[X]]``.
        conv: The converter to use; the shipped :data:`converter` by default.
        path: The path of ``data`` in the reply, for the problems (``"$.result"``).

    Returns:
        The decoded value and the problems (an empty tuple when everything fit).

    Raises:
        DecodeError: ``data`` does not have the overall shape of ``cls`` (e.g. a string where
            an object is expected), or a required field is missing or does not fit (``errors``
            then lists every problem found, that one last).
    """
    conv = converter if conv is None else conv
    try:
        return conv.structure(data, cls), ()
    except Exception as exc:
        if not _shape_fits(data, cls):
            raise explain(exc, data, cls) from exc
        problems: list[str] = []
        try:
            decoded = _lenient(data, cls, path, problems, conv)
        except _Unfit:
            message = f"could not decode {_type_name(cls)}: " + "; ".join(problems)
            raise DecodeError(message, errors=problems, payload=data) from exc
        if decoded is _LEFT_OUT:
            raise explain(exc, data, cls) from exc
        return decoded, tuple(problems)
