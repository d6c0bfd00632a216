"""The base of the stream builders, declared as data, and routing by stream name.

A builder class declares its stream-name template, route, model, cadence and ``Param``
setters, with the same ``Param`` machinery as the WS API builders
(:mod:`binance_usdm_ws._core._params`)::

    class KlineCandlestickStreams(StreamRequest[KlineUpdate]):
        method = "<symbol>@kline_<interval>"
        route = Route.MARKET
        model = KlineUpdate
        symbol = Param[str](SYMBOL, required=True, pattern=SYMBOL_RE, doc="...")
        interval = Param[Union[KlineInterval, str]](STRING, required=True, choices=KlineInterval)

The template's ``<name>`` placeholders are the params' wire names (as in Go's
``WsStreamsPlaceholder``: an unset optional param drops its placeholder *and* the ``@``/``_`` in
front of it). The same template, compiled into a regular expression, routes and validates raw
stream names (:func:`parse_stream_name`): every name a builder can make is accepted, routed to the
builder's route and decoded into its model; anything else is refused before it is sent. The
builders themselves are in ``_builders.py`` (importing this package registers them).
"""

from __future__ import annotations

import enum
import re
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NamedTuple, Optional, TypeVar

from ..._core._models import UnknownEvent
from ..._core._params import STRING, USE_CLIENT_DEFAULT, Param, Timeout
from ...errors import InvalidRequest
from ._market_wide_models import (
    AssetIndexUpdate,
)

if TYPE_CHECKING:
    import sys

    from ._handle import StreamHandle

    if sys.version_info >= (3, 11):
        from typing import Self
    else:  # pragma: no cover
        from typing_extensions import Self


__all__ = [
    "Cadence",
    "Route",
    "StreamRequest",
    "StreamRoute",
    "StreamTransport",
    "is_listen_key",
    "parse_stream_name",
]

T = TypeVar("T")

_DOCS = (
    "https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams"
)
_MAX_ID = 2**64 - 1


class Route(str, enum.Enum):
    """The routed path of a stream socket: ``<base>/<route>/...``."""

    PUBLIC = "public"  #: high-frequency public data (book tickers and depth)
    MARKET = "market"  #: regular market data (trades, klines, tickers, mark prices, ...)
    PRIVATE = "private"  #: user data (listenKey)

    def __str__(self) -> str:
        return self.value


# ---------------------------------------------------------------------- parameter kinds

#: A symbol in a stream name, after lower-casing (``btcusdt``, ``btcusdt_250328``).
SYMBOL_RE = r"[a-z0-9]+(?:_[0-9]+)?"
#: A pair (no ``_``: the ``_`` separates it from the contract type).
PAIR_RE = r"[a-z0-9]+"


def SYMBOL(name: str, value: Any) -> Any:
    """A symbol or pair: a non-empty string, lower-cased for the stream name."""
    return str(STRING(name, value)).lower()


def LOWER(name: str, value: Any) -> Any:
    """A string enum value compared in lower case (``PERPETUAL`` or ``perpetual``)."""
    return str(STRING(name, value)).lower()


def LEVELS(name: str, value: Any) -> Any:
    """Depth levels: ``"5"``, ``5`` or ``DepthLevels.LEVELS_5`` alike."""
    if type(value) is int:
        value = str(value)
    return STRING(name, value)


def _symbol(doc: str = "Symbol, e.g. ``BTCUSDT`` (lower-cased in the stream name).") -> Param[str]:
    return Param[str](SYMBOL, required=True, pattern=SYMBOL_RE, doc=doc)


# ---------------------------------------------------------------------- the base


class StreamTransport:
    """What a stream builder needs from the client: implemented by ``WebsocketStreams``."""

    def subscribe_names(
        self,
        names: list[str],
        request_id: Optional[int],
        timeout: Timeout,
        silence_timeout: Optional[float] = None,
    ) -> StreamHandle[Any]:  # pragma: no cover - interface
        raise NotImplementedError


class Cadence(NamedTuple):
    """How often Binance publishes a stream (its documented "update speed"), per builder.

    Attributes:
        period: seconds between two frames (the documented "update speed").
        regular: True when a frame goes out every ``period`` whatever the market does (mark
            prices, indexes, trading sessions): silence then means a broken stream. False when
            Binance publishes *at most* every ``period`` and only what changed (klines, tickers,
            partial depth, the all-market arrays): a quiet market is silent too.
        speeds: ``{"<speed>": period}`` for names ending in ``@<speed>`` (``@1s``, ``@100ms``).
    """

    period: float
    regular: bool
    speeds: tuple[tuple[str, float], ...] = ()

    def text(self) -> str:
        """The cadence in words, e.g. ``every 3 s (@1s: 1 s)``, ``at most every 0.25 s``."""
        speeds = "".join(f", @{s}: {p:g} s" for s, p in self.speeds)
        kind = "every" if self.regular else "at most every"
        return f"{kind} {self.period:g} s" + (f" ({speeds[2:]})" if speeds else "")

    def of(self, name: str) -> Cadence:
        """The cadence of one stream name: its ``@<speed>`` suffix, if any, sets the period."""
        for speed, period in self.speeds:
            if name.endswith(f"@{speed}"):
                return Cadence(period, self.regular)
        return Cadence(self.period, self.regular)


class StreamRoute(NamedTuple):
    """Where a stream name goes and what it carries (from :func:`parse_stream_name`).

    ``cadence`` is how often Binance publishes it, ``None`` for an event-driven stream
    (trades, book tickers, diff depth, liquidations, contract info, user data).
    """

    name: str
    route: Route
    model: type
    cadence: Optional[Cadence] = None


_PLACEHOLDER = re.compile(r"([@_]?)<(\w+)>")
#: Stream names no Go builder makes but Binance documents (route, model).
_EXTRA: list[tuple[re.Pattern[str], Route, type]] = [
    (re.compile(rf"(?:{SYMBOL_RE})@assetIndex"), Route.MARKET, AssetIndexUpdate),
]
#: Cadences of the ``_EXTRA`` names, by model (``None``: event-driven).
_EXTRA_CADENCE: dict[type, Cadence] = {AssetIndexUpdate: Cadence(1.0, regular=True)}


#: A listenKey as a stream name (Binance's are 64 letters and digits): user data, on ``/private``.
_LISTEN_KEY = re.compile(r"[A-Za-z0-9]{32,128}")


class UserData:
    """The model of a listenKey stream: its items are user data events (``decode_event``)."""


def is_listen_key(name: str) -> bool:
    """Whether a stream name is a listenKey (a bearer secret: never shown whole)."""
    return _LISTEN_KEY.fullmatch(name) is not None


class StreamRequest(Generic[T]):
    """Base of the stream builders: ``.id()``, ``.stream_name()``, ``.execute()``.

    Subclasses declare ``method`` (the stream-name template), ``route``, ``model`` and their
    ``Param`` setters; the rest (validation, the name, routing, subscribing) lives here once.
    """

    #: The stream-name template, e.g. ``"<symbol>@aggTrade"``.
    method: ClassVar[str] = ""
    route: ClassVar[Route] = Route.MARKET
    model: ClassVar[type] = UnknownEvent
    docs: ClassVar[str] = ""
    #: How often Binance publishes the stream; ``None``: event-driven (no cadence).
    cadence: ClassVar[Optional[Cadence]] = None
    #: Every builder class, by class name (Go method name).
    registry: ClassVar[dict[str, type[StreamRequest[Any]]]] = {}
    params: ClassVar[dict[str, Param[Any]]] = {}
    required_params: ClassVar[tuple[Param[Any], ...]] = ()
    #: The template as a regular expression over complete stream names.
    name_pattern: ClassVar[re.Pattern[str]] = re.compile("")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        params = {n: v for n, v in vars(cls).items() if isinstance(v, Param)}
        cls.params = params
        cls.required_params = tuple(p for p in params.values() if p.required)
        by_wire = {p.wire: p for p in params.values()}
        used = [w for _, w in _PLACEHOLDER.findall(cls.method)]
        if sorted(used) != sorted(by_wire):
            raise TypeError(f"{cls.__name__}: template {cls.method!r} vs params {list(by_wire)}")
        regex, pos = "", 0
        for match in _PLACEHOLDER.finditer(cls.method):
            regex += re.escape(cls.method[pos : match.start()])
            prefix, param = match.group(1), by_wire[match.group(2)]
            if param.choices is not None:
                alt = "|".join(re.escape(str(c)) for c in param.choices)
            else:
                assert param.pattern is not None, f"{cls.__name__}.{param.name} needs a pattern"
                alt = param.pattern.pattern
            part = f"{re.escape(prefix)}(?:{alt})"
            regex += part if param.required else f"(?:{part})?"
            pos = match.end()
        regex += re.escape(cls.method[pos:])
        cls.name_pattern = re.compile(regex)
        if cls.__name__ in StreamRequest.registry:
            raise TypeError(f"duplicate stream builder {cls.__name__}")
        StreamRequest.registry[cls.__name__] = cls
        cls.__doc__ = f"{(cls.__doc__ or '').rstrip()}\n\n{cls.reference()}\n"

    @classmethod
    def reference(cls) -> str:
        """The generated reference: stream template, route, model and params."""
        lines = [
            f"Stream ``{cls.method}`` on ``/{cls.route.value}``; "
            f"items: :class:`{cls.model.__name__}`.",
        ]
        if cls.cadence is None:
            lines.append("Cadence: event-driven (silence is normal; opt in: ``silence_timeout``).")
        else:
            lines.append(f"Cadence: {cls.cadence.text()}.")
        if cls.docs:
            lines.append(f"Docs: {cls.docs}")
        if cls.params:
            lines += ["", "Params (fluent setters):"]
            for p in sorted(cls.params.values(), key=lambda p: not p.required):
                kind = " | ".join(map(str, p.choices)) if p.choices else "str"
                need = ", required" if p.required else ""
                lines.append(f"    {p.name} ({kind}{need}): {p.doc}")
        return "\n".join(lines)

    def __init__(self, transport: Optional[StreamTransport] = None) -> None:
        self._transport = transport
        self._params: dict[str, Any] = {}
        self._id: Optional[int] = None

    def id(self, value: int) -> Self:
        """Set the id of the ``SUBSCRIBE`` frame: an unsigned int, as the docs require."""
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_ID:
            raise InvalidRequest(
                f"id: expected an unsigned int, got {type(value).__name__} {value!r}", param="id"
            )
        self._id = value
        return self

    def stream_name(self) -> str:
        """The stream name, e.g. ``btcusdt@depth@100ms``.

        Raises:
            InvalidRequest: a required param is missing.
        """
        params = self._params
        for p in self.required_params:
            if p.wire not in params:
                raise InvalidRequest(
                    f"{type(self).__name__}: missing required parameter {p.name}", param=p.name
                )

        def fill(match: re.Match[str]) -> str:
            value = params.get(match.group(2))
            return "" if value is None else f"{match.group(1)}{value}"

        return _PLACEHOLDER.sub(fill, self.method)

    def execute(
        self, timeout: Timeout = USE_CLIENT_DEFAULT, silence_timeout: Optional[float] = None
    ) -> StreamHandle[T]:
        """Subscribe to the stream on its route and return its handle once Binance acknowledged.

        Args:
            timeout: seconds to wait for the acknowledgement (the configuration's by default).
            silence_timeout: seconds without a frame after which the stream is reported silent
                on this handle (``StreamSilent``) and repaired, whatever its cadence: the way
                to watch an event-driven stream. ``None``: its cadence decides (see
                ``Cadence`` in the class docstring); an event-driven stream is not watched.

        Raises:
            InvalidRequest: bad or missing params (nothing was sent), or a builder made
                without a client.
            RequestTimeout: no acknowledgement in time.
            SubscriptionRejected: the server refused the subscription (``code``, ``msg``).
            ConnectionClosed: the socket could not be opened, or closed meanwhile.
        """
        name = self.stream_name()
        if self._transport is None:
            raise InvalidRequest(f"{type(self).__name__}: made without a client; nothing to send")
        handle: StreamHandle[T] = self._transport.subscribe_names(
            [name], self._id, timeout, silence_timeout
        )
        return handle

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.method} params={self._params}>"


def parse_stream_name(name: Any) -> StreamRoute:
    """Route and validate a raw stream name.

    Args:
        name: e.g. ``"btcusdt@markPrice@1s"``.

    Returns:
        Its route and model. A listenKey goes to ``/private`` (as ``SUBSCRIBE <listenKey>`` on
        ``/private/stream``) and carries user data events (model ``UserData``).

    Raises:
        InvalidRequest: not a stream name this SDK can route (an upper-case symbol, an unknown
            speed or interval, a typo...): it would subscribe and silently deliver nothing.
    """
    if not isinstance(name, str) or not name:
        raise InvalidRequest(
            f"stream name: expected a non-empty str, got {name!r}", param="streams"
        )
    for cls in StreamRequest.registry.values():
        if cls.name_pattern.fullmatch(name):
            cadence = cls.cadence
            return StreamRoute(name, cls.route, cls.model, cadence and cadence.of(name))
    for pattern, route, model in _EXTRA:
        if pattern.fullmatch(name):
            return StreamRoute(name, route, model, _EXTRA_CADENCE.get(model))
    if _LISTEN_KEY.fullmatch(name):
        return StreamRoute(name, Route.PRIVATE, UserData)
    head, at, rest = name.partition("@")
    hint = ""
    if head != head.lower():
        hint = f" (symbols are lower case in stream names: {head.lower()}{at}{rest})"
    raise InvalidRequest(
        f"stream name {name!r} is not one this SDK can route{hint}", param="streams"
    )
