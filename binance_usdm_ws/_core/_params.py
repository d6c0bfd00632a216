"""The declarative machinery every builder is made of, in both halves.

``Param`` (a typed fluent setter that converts and checks its value at once), the parameter kinds
(``STRING``, ``DECIMAL``, ``decimal_between``, ``LONG``, ``BOOL_STRING``, ``BOOL``), the rules
between params (``one_of``, ``not_together``, ``required_when``, ``forbidden_when``), ``Builds``
(a service method in one line) and ``USE_CLIENT_DEFAULT``. The WS API's ``Request`` and the
streams' builders are declared with them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from types import MethodType
from typing import (
    Any,
    Callable,
    Generic,
    NamedTuple,
    Optional,
    Protocol,
    TypeVar,
    Union,
    get_args,
    overload,
)

from ..errors import InvalidRequest
from ._protocol import plain_decimal

__all__ = [
    "BOOL",
    "BOOL_STRING",
    "DECIMAL",
    "LONG",
    "STRING",
    "USE_CLIENT_DEFAULT",
    "Builds",
    "Param",
    "Rule",
    "Timeout",
    "UseClientDefault",
    "decimal_between",
    "forbidden_when",
    "not_together",
    "one_of",
    "required_when",
]

V = TypeVar("V")


class _HasParams(Protocol):
    """What a ``Param`` setter writes into: any builder with a ``_params`` dict."""

    _params: dict[str, Any]


class _Buildable(Protocol):
    """What ``Builds`` makes: a builder made from a transport, naming what it builds."""

    def __init__(self, transport: Any) -> None: ...

    @property
    def method(self) -> str: ...


P = TypeVar("P", bound=_HasParams)
BR = TypeVar("BR", bound=_Buildable)


class UseClientDefault:
    """Type of ``USE_CLIENT_DEFAULT``: "use the configuration's value".

    ``None`` cannot play this role, because ``timeout=None`` means "wait forever".
    """

    def __repr__(self) -> str:
        return "USE_CLIENT_DEFAULT"


#: Default of ``execute(timeout=...)``: wait as long as the configuration's ``timeout`` says.
USE_CLIENT_DEFAULT = UseClientDefault()

Timeout = Union[float, None, UseClientDefault]


# ---------------------------------------------------------------------- parameter kinds
# A kind converts a Python value to its wire value, or raises InvalidRequest naming the param.


def _fail(name: str, expected: str, value: Any) -> InvalidRequest:
    return InvalidRequest(
        f"{name}: expected {expected}, got {type(value).__name__} {value!r}", param=name
    )


def STRING(name: str, value: Any) -> Any:
    """A non-empty JSON string (an Enum member gives its value)."""
    if type(value) is str and value:  # the common case, first
        return value
    if isinstance(value, enum.Enum):
        value = value.value
    if not isinstance(value, str):
        raise _fail(name, "str", value)
    if not value:
        raise InvalidRequest(f"{name}: must not be empty", param=name)
    return value


def DECIMAL(name: str, value: Any) -> Any:
    """An exact number sent as a plain-notation JSON string: Decimal, int or numeric str."""
    if type(value) is Decimal and value.is_finite():  # the common case, first
        return plain_decimal(value)
    if isinstance(value, bool) or isinstance(value, float):
        hint = (
            " (floats are not exact: pass Decimal('0.1') or '0.1')"
            if isinstance(value, float)
            else ""
        )
        raise InvalidRequest(
            f"{name}: expected Decimal, int or numeric str, got {type(value).__name__}{hint}",
            param=name,
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise _fail(name, "a decimal number", value) from None
    elif isinstance(value, Decimal):
        number = value
    else:
        raise _fail(name, "Decimal, int or numeric str", value)
    if not number.is_finite():
        raise _fail(name, "a finite number", value)
    return plain_decimal(number)


def decimal_between(low: str, high: str) -> Callable[[str, Any], Any]:
    """A ``DECIMAL`` kind that also requires ``low <= value <= high`` (Binance's bounds)."""
    lo, hi = Decimal(low), Decimal(high)

    def kind(name: str, value: Any) -> Any:
        out = DECIMAL(name, value)
        if not lo <= Decimal(out) <= hi:
            raise InvalidRequest(
                f"{name}: {out} is outside the allowed range {low} to {high}", param=name
            )
        return out

    kind.__name__ = f"DECIMAL[{low}..{high}]"
    return kind


def LONG(name: str, value: Any) -> Any:
    """A JSON integer."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(name, "int", value)
    return value


def BOOL_STRING(name: str, value: Any) -> Any:
    """A boolean sent as the string ``"true"``/``"false"`` (``reduceOnly`` & co.)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower()
    raise _fail(name, "bool", value)


def BOOL(name: str, value: Any) -> Any:
    """A JSON boolean."""
    if not isinstance(value, bool):
        raise _fail(name, "bool", value)
    return value


Kind = Callable[[str, Any], Any]


class Param(Generic[V]):
    """A parameter of a WS API method, and the typed fluent setter for it.

    Read on a builder, it is a bound method ``setter(value: V) -> <the builder's class>``
    with real annotations, name and docstring (for ``help()``, ``inspect.signature()`` and
    IDEs); type checkers see the same through the ``__get__`` overloads. Read on the class,
    it is the ``Param`` itself.

    Args:
        kind: how the value is checked and rendered (``STRING``, ``DECIMAL``, ``LONG``,
            ``BOOL_STRING``, ``BOOL``); with ``choices`` it checks the member's value.
        wire: the wire name; defaults to the camelCase of the attribute name.
        required: the method cannot be sent without it.
        choices: an ``Enum`` whose values are the only ones allowed (members or their values),
            or a subset of its members (``(OrderType.LIMIT, OrderType.MARKET)``).
        pattern: a regular expression a string value must match in full.
        doc: one line shown by ``help()`` / ``?`` on the setter.
    """

    # ``__orig_class__`` is set by ``Param[V](...)``: it tells the setter's signature ``V``.
    __slots__ = (
        "kind",
        "wire",
        "name",
        "required",
        "choices",
        "pattern",
        "doc",
        "_setters",
        "__orig_class__",
    )

    def __init__(
        self,
        kind: Kind = STRING,
        *,
        wire: Optional[str] = None,
        required: bool = False,
        choices: Union[type[enum.Enum], Iterable[enum.Enum], None] = None,
        pattern: Optional[str] = None,
        doc: str = "",
    ) -> None:
        self.kind = kind
        self.wire = wire or ""
        self.name = ""
        self.required = required
        self.choices = None if choices is None else tuple(m.value for m in choices)
        self.pattern = re.compile(pattern) if pattern else None
        self.doc = doc
        self._setters: dict[type, Callable[..., Any]] = {}

    @property
    def value_type(self) -> Any:
        """The type the setter takes (``V`` of ``Param[V]``; ``Any`` when not given)."""
        orig = getattr(self, "__orig_class__", None)
        return get_args(orig)[0] if orig is not None else Any

    def __repr__(self) -> str:
        return f"<Param {self.name} [{self.wire}] {getattr(self.kind, '__name__', self.kind)}>"

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        if not self.wire:
            head, *rest = name.split("_")
            self.wire = head + "".join(part[:1].upper() + part[1:] for part in rest)

    def convert(self, value: Any) -> Any:
        """Return the wire value of ``value``, or raise ``InvalidRequest`` naming this param."""
        if self.choices is not None:
            if type(value) is str and value in self.choices:
                return value  # the common case: a valid value given as text
            raw = self.kind(self.name, value.value if isinstance(value, enum.Enum) else value)
            if raw not in self.choices:
                raise InvalidRequest(
                    f"{self.name}: {raw!r} is not one of {', '.join(map(str, self.choices))}",
                    param=self.name,
                )
            return raw
        out = self.kind(self.name, value)
        if self.pattern is not None and not self.pattern.fullmatch(str(out)):
            raise InvalidRequest(
                f"{self.name}: {out!r} does not match {self.pattern.pattern}", param=self.name
            )
        return out

    @overload
    def __get__(self, obj: None, owner: Any) -> Param[V]: ...

    @overload
    def __get__(self, obj: P, owner: Any) -> Callable[[V], P]: ...

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        cls = type(obj)
        setter = self._setters.get(cls)
        if setter is None:
            setter = self._setters[cls] = self._make_setter(cls)
        return MethodType(setter, obj)

    def _make_setter(self, cls: type) -> Callable[..., Any]:
        """The setter function of this param on builder class ``cls`` (made once per class)."""
        wire, convert = self.wire, self.convert

        def setter(request: Any, value: Any) -> Any:
            request._params[wire] = convert(value)
            return request

        setter.__name__ = self.name
        setter.__qualname__ = f"{cls.__qualname__}.{self.name}"
        setter.__module__ = cls.__module__
        required = " (required)" if self.required else ""
        setter.__doc__ = f"Set ``{wire}``{required}. {self.doc}"
        # Real types, not the strings of this module's annotations: inspect.signature(), help()
        # and typing.get_type_hints() then show ``(value: <V>) -> <cls>`` on the bound setter.
        setter.__annotations__ = {"value": self.value_type, "return": cls}
        return setter


# ---------------------------------------------------------------------- rules between params

Get = Callable[[str], Any]
"""The wire value of a param by its Python name, or None when it is not set."""


class Rule(NamedTuple):
    """A constraint between params, checked by ``Request.check()`` before anything is sent.

    Attributes:
        text: the rule in words (shown in the builder's docstring).
        names: the Python names of the params it reads (checked when the class is made).
        broken: ``broken(get)`` returns ``(param, message)`` when the rule is broken, else None.
    """

    text: str
    names: tuple[str, ...]
    broken: Callable[[Get], Optional[tuple[str, str]]]


def one_of(*names: str) -> Rule:
    """At least one of the named params must be set."""
    text = f"one of {', '.join(names)} is required"

    def broken(get: Get) -> Optional[tuple[str, str]]:
        return None if any(get(n) is not None for n in names) else (names[0], text)

    return Rule(text, names, broken)


def not_together(a: str, b: str) -> Rule:
    """The two params exclude each other."""
    text = f"{a} and {b} cannot be sent together"

    def broken(get: Get) -> Optional[tuple[str, str]]:
        return (b, text) if get(a) is not None and get(b) is not None else None

    return Rule(text, (a, b), broken)


def required_when(name: str, value: str, *needed: Union[str, tuple[str, ...]]) -> Rule:
    """When param ``name`` equals ``value``, the ``needed`` params are required.

    A tuple in ``needed`` is a set of alternatives, one of which is enough.
    """
    groups = [(n,) if isinstance(n, str) else n for n in needed]
    text = f"{name}={value} requires {', '.join(' or '.join(g) for g in groups)}"

    def broken(get: Get) -> Optional[tuple[str, str]]:
        if get(name) == value:
            for group in groups:
                for n in group:
                    if get(n) is not None:
                        break
                else:
                    return group[0], f"{name}={value} requires {' or '.join(group)}"
        return None

    return Rule(text, (name, *(n for g in groups for n in g)), broken)


def forbidden_when(name: str, value: str, *banned: str) -> Rule:
    """When param ``name`` equals ``value``, the ``banned`` params must not be set."""
    text = f"{name}={value} excludes {', '.join(banned)}"

    def broken(get: Get) -> Optional[tuple[str, str]]:
        if get(name) == value:
            for n in banned:
                if get(n) is not None:
                    return n, f"{n} cannot be sent with {name}={value}"
        return None

    return Rule(text, (name, *banned), broken)


# ---------------------------------------------------------------------- services


class Builds(Generic[BR]):
    """A service method, declared in one line: ``new_order = Builds(NewOrder)``.

    Used by the WS API services and the stream services alike (any object with a
    ``_transport``; the builder class takes that transport).

    ``service.new_order()`` then returns a fresh ``NewOrder`` bound to the service's
    transport, typed as such.
    """

    __slots__ = ("cls", "name", "owner")

    def __init__(self, cls: type[BR]) -> None:
        self.cls = cls
        self.name = self.owner = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.owner = name, owner.__qualname__

    @property
    def __doc__(self) -> str:  # type: ignore[override]
        return f"Build ``{self.cls.method}``; see :class:`{self.cls.__name__}`."

    def __repr__(self) -> str:
        return f"Builds({self.cls.__name__})"

    @overload
    def __get__(self, obj: None, owner: Any) -> Builds[BR]: ...

    @overload
    def __get__(self, obj: object, owner: Any) -> Callable[[], BR]: ...

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        cls, transport = self.cls, obj._transport

        def build() -> BR:
            return cls(transport)

        build.__name__ = self.name or cls.__name__
        build.__qualname__ = f"{self.owner}.{build.__name__}"
        build.__doc__ = self.__doc__
        build.__annotations__ = {"return": cls}  # help() and IDEs: ``new_order() -> NewOrder``
        if self.name:
            # Kept on the service: later calls find it without this descriptor.
            vars(obj)[self.name] = build
        return build
