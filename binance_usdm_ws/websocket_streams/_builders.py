"""The 20 stream builders of the Go connector (and ``trade_streams``, which Binance serves live
but neither connector has), declared as data, and routing by stream name.

A builder class declares its stream-name template, route, model and ``Param`` setters, with the
same ``Param`` machinery as the WS API builders (:mod:`binance_usdm_ws._core._params`)::

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
builder's route and decoded into its model; anything else is refused before it is sent.
"""

from __future__ import annotations

import enum
import re
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NamedTuple, Optional, TypeVar, Union

from .._core._params import STRING, USE_CLIENT_DEFAULT, Builds, Param, Timeout
from ..errors import InvalidRequest
from . import _models as m
from ._enums import (
    ContinuousKlineInterval,
    ContractType,
    DepthLevels,
    DepthUpdateSpeed,
    KlineInterval,
    MarkPriceUpdateSpeed,
)

if TYPE_CHECKING:
    import sys

    from ._client import StreamHandle

    if sys.version_info >= (3, 11):
        from typing import Self
    else:  # pragma: no cover
        from typing_extensions import Self

__all__ = [
    "AggregateTradeStreams",
    "AllBookTickersStream",
    "AllMarketLiquidationOrderStreams",
    "AllMarketMiniTickersStream",
    "AllMarketTickersStreams",
    "AssetIndex",
    "Cadence",
    "CompositeIndexSymbolInformationStreams",
    "ContinuousContractKlineCandlestickStreams",
    "ContractInfoStream",
    "DiffBookDepthStreams",
    "IndividualSymbolBookTickerStreams",
    "IndividualSymbolMiniTickerStream",
    "IndividualSymbolTickerStreams",
    "KlineCandlestickStreams",
    "LiquidationOrderStreams",
    "MarkPriceStream",
    "MarkPriceStreamForAllMarket",
    "MarketApi",
    "PartialBookDepthStreams",
    "PublicApi",
    "Route",
    "RpiDiffBookDepthStreams",
    "StreamRequest",
    "StreamRoute",
    "StreamTransport",
    "TradeStreams",
    "TradingSessionStream",
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
    (re.compile(rf"(?:{SYMBOL_RE})@assetIndex"), Route.MARKET, m.AssetIndexUpdate),
]
#: Cadences of the ``_EXTRA`` names, by model (``None``: event-driven).
_EXTRA_CADENCE: dict[type, Cadence] = {m.AssetIndexUpdate: Cadence(1.0, regular=True)}


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
    model: ClassVar[type] = m.UnknownEvent
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


# ---------------------------------------------------------------------- /market (15)


class AggregateTradeStreams(StreamRequest[m.AggregateTrade]):
    """Aggregate trades of a symbol, every 100 ms."""

    method = "<symbol>@aggTrade"
    model = m.AggregateTrade
    docs = f"{_DOCS}/Aggregate-Trade-Streams"
    symbol = _symbol()


class AllMarketLiquidationOrderStreams(StreamRequest[m.ForceOrder]):
    """The latest liquidation of every symbol (at most one per symbol per second)."""

    method = "!forceOrder@arr"
    model = m.ForceOrder
    #: No cadence: the "1 s" of the docs is a cap (one snapshot per symbol per second), and
    #: only when a liquidation happens; a calm market sends nothing for hours.
    cadence = None
    docs = f"{_DOCS}/All-Market-Liquidation-Order-Streams"


class AllMarketMiniTickersStream(StreamRequest[m.MiniTickers]):
    """24 h mini tickers of the symbols that changed, every 1 s (one frame, many tickers)."""

    method = "!miniTicker@arr"
    model = m.MiniTickers
    cadence = Cadence(1.0, regular=False)
    docs = f"{_DOCS}/All-Market-Mini-Tickers-Stream"


class AllMarketTickersStreams(StreamRequest[m.Tickers]):
    """24 h tickers of the symbols that changed, every 1 s (one frame, many tickers)."""

    method = "!ticker@arr"
    model = m.Tickers
    cadence = Cadence(1.0, regular=False)
    docs = f"{_DOCS}/All-Market-Tickers-Streams"


class AssetIndex(StreamRequest[m.AssetIndexUpdates]):
    """Asset indexes of the multi-assets mode, every 1 s."""

    method = "!assetIndex@arr"
    model = m.AssetIndexUpdates
    cadence = Cadence(1.0, regular=True)
    docs = f"{_DOCS}/Multi-Assets-Mode-Asset-Index"


class CompositeIndexSymbolInformationStreams(StreamRequest[m.CompositeIndex]):
    """A composite index and its constituents, every 1 s."""

    method = "<symbol>@compositeIndex"
    model = m.CompositeIndex
    cadence = Cadence(1.0, regular=True)
    docs = f"{_DOCS}/Composite-Index-Symbol-Information-Streams"
    symbol = _symbol("Composite index symbol, e.g. ``DEFIUSDT``.")


class ContinuousContractKlineCandlestickStreams(StreamRequest[m.ContinuousKlineUpdate]):
    """Klines of a pair's continuous contract, every 250 ms."""

    method = "<pair>_<contractType>@continuousKline_<interval>"
    model = m.ContinuousKlineUpdate
    cadence = Cadence(0.25, regular=False)
    docs = f"{_DOCS}/Continuous-Contract-Kline-Candlestick-Streams"
    pair = Param[str](
        SYMBOL, required=True, pattern=PAIR_RE, doc="Pair, e.g. ``BTCUSDT`` (lower-cased)."
    )
    contract_type = Param[Union[ContractType, str]](
        LOWER, required=True, choices=ContractType, doc="Contract type."
    )
    interval = Param[Union[ContinuousKlineInterval, str]](
        STRING, required=True, choices=ContinuousKlineInterval, doc="Kline interval."
    )


class ContractInfoStream(StreamRequest[m.ContractInfo]):
    """Contract listings, settlements, status and bracket changes, in real time."""

    method = "!contractInfo"
    model = m.ContractInfo
    docs = f"{_DOCS}/Contract-Info-Stream"


class IndividualSymbolMiniTickerStream(StreamRequest[m.MiniTicker]):
    """24 h mini ticker of a symbol, every 2 s."""

    method = "<symbol>@miniTicker"
    model = m.MiniTicker
    cadence = Cadence(2.0, regular=False)
    docs = f"{_DOCS}/Individual-Symbol-Mini-Ticker-Stream"
    symbol = _symbol()


class IndividualSymbolTickerStreams(StreamRequest[m.Ticker]):
    """24 h ticker of a symbol, every 2 s."""

    method = "<symbol>@ticker"
    model = m.Ticker
    cadence = Cadence(2.0, regular=False)
    docs = f"{_DOCS}/Individual-Symbol-Ticker-Streams"
    symbol = _symbol()


class KlineCandlestickStreams(StreamRequest[m.KlineUpdate]):
    """Klines of a symbol, every 250 ms."""

    method = "<symbol>@kline_<interval>"
    model = m.KlineUpdate
    cadence = Cadence(0.25, regular=False)
    docs = f"{_DOCS}/Kline-Candlestick-Streams"
    symbol = _symbol()
    interval = Param[Union[KlineInterval, str]](
        STRING, required=True, choices=KlineInterval, doc="Kline interval."
    )


class LiquidationOrderStreams(StreamRequest[m.ForceOrder]):
    """The latest liquidation of a symbol (at most one per second)."""

    method = "<symbol>@forceOrder"
    model = m.ForceOrder
    #: No cadence: the "1 s" of the docs is a cap (one snapshot per symbol per second), and
    #: only when a liquidation happens; a calm market sends nothing for hours.
    cadence = None
    docs = f"{_DOCS}/Liquidation-Order-Streams"
    symbol = _symbol()


class MarkPriceStream(StreamRequest[m.MarkPriceUpdate]):
    """Mark price and funding rate of a symbol, every 3 s (or 1 s)."""

    method = "<symbol>@markPrice@<updateSpeed>"
    model = m.MarkPriceUpdate
    cadence = Cadence(3.0, regular=True, speeds=(("1s", 1.0),))
    docs = f"{_DOCS}/Mark-Price-Stream"
    symbol = _symbol()
    update_speed = Param[Union[MarkPriceUpdateSpeed, str]](
        STRING, choices=MarkPriceUpdateSpeed, doc="``1s``; not set: every 3 s."
    )


class MarkPriceStreamForAllMarket(StreamRequest[m.MarkPriceUpdates]):
    """Mark prices and funding rates of every symbol, every 3 s (or 1 s), in one frame."""

    method = "!markPrice@arr@<updateSpeed>"
    model = m.MarkPriceUpdates
    cadence = Cadence(3.0, regular=True, speeds=(("1s", 1.0),))
    docs = f"{_DOCS}/Mark-Price-Stream-for-All-market"
    update_speed = Param[Union[MarkPriceUpdateSpeed, str]](
        STRING, choices=MarkPriceUpdateSpeed, doc="``1s``; not set: every 3 s."
    )


class TradingSessionStream(StreamRequest[m.TradingSession]):
    """Trading sessions of the TradFi markets, every 1 s."""

    method = "tradingSession"
    model = m.TradingSession
    cadence = Cadence(1.0, regular=True)
    docs = f"{_DOCS}/Trading-Session-Stream"


# ---------------------------------------------------------------------- /public (5, and @trade)


class AllBookTickersStream(StreamRequest[m.BookTickerUpdate]):
    """Best bid and ask of every symbol, every 5 s."""

    method = "!bookTicker"
    route = Route.PUBLIC
    model = m.BookTickerUpdate
    cadence = Cadence(5.0, regular=False)
    docs = f"{_DOCS}/All-Book-Tickers-Stream"


class DiffBookDepthStreams(StreamRequest[m.DepthUpdate]):
    """Order book changes of a symbol (for a local book), every 250 ms, 500 ms or 100 ms."""

    method = "<symbol>@depth@<updateSpeed>"
    route = Route.PUBLIC
    model = m.DepthUpdate
    docs = f"{_DOCS}/Diff-Book-Depth-Streams"
    symbol = _symbol()
    update_speed = Param[Union[DepthUpdateSpeed, str]](
        STRING, choices=DepthUpdateSpeed, doc="``100ms`` or ``500ms``; not set: 250 ms."
    )


class IndividualSymbolBookTickerStreams(StreamRequest[m.BookTickerUpdate]):
    """Best bid and ask of a symbol, in real time."""

    method = "<symbol>@bookTicker"
    route = Route.PUBLIC
    model = m.BookTickerUpdate
    docs = f"{_DOCS}/Individual-Symbol-Book-Ticker-Streams"
    symbol = _symbol()


class PartialBookDepthStreams(StreamRequest[m.DepthUpdate]):
    """The top 5, 10 or 20 levels of a symbol's book, every 250 ms, 500 ms or 100 ms."""

    method = "<symbol>@depth<levels>@<updateSpeed>"
    route = Route.PUBLIC
    model = m.DepthUpdate
    cadence = Cadence(0.25, regular=False, speeds=(("100ms", 0.1), ("500ms", 0.5)))
    docs = f"{_DOCS}/Partial-Book-Depth-Streams"
    symbol = _symbol()
    levels = Param[Union[DepthLevels, str, int]](
        LEVELS, required=True, choices=DepthLevels, doc="5, 10 or 20 levels."
    )
    update_speed = Param[Union[DepthUpdateSpeed, str]](
        STRING, choices=DepthUpdateSpeed, doc="``100ms`` or ``500ms``; not set: 250 ms."
    )


class RpiDiffBookDepthStreams(StreamRequest[m.DepthUpdate]):
    """Order book changes of a symbol with RPI orders aggregated in, every 500 ms."""

    method = "<symbol>@rpiDepth@500ms"
    route = Route.PUBLIC
    model = m.DepthUpdate
    docs = f"{_DOCS}/RPI-Diff-Book-Depth-Streams"
    symbol = _symbol()


class TradeStreams(StreamRequest[m.Trade]):
    """Every fill of a symbol, one frame each (not aggregated), in real time.

    Not a Go connector method: ``<symbol>@trade`` is in neither official connector nor the
    USDⓈ-M stream docs, but Binance serves it live on ``/public``. Some frames are placeholders
    priced and sized ``0`` (a trade id spent without a fill): ``Trade.is_placeholder``.
    """

    method = "<symbol>@trade"
    route = Route.PUBLIC
    model = m.Trade
    symbol = _symbol()


# ---------------------------------------------------------------------- services


class _StreamService:
    def __init__(self, transport: Optional[StreamTransport] = None) -> None:
        self._transport = transport


class MarketApi(_StreamService):
    """The ``/market`` streams (Go ``MarketAPI``); each method returns a fresh builder."""

    aggregate_trade_streams = Builds(AggregateTradeStreams)
    all_market_liquidation_order_streams = Builds(AllMarketLiquidationOrderStreams)
    all_market_mini_tickers_stream = Builds(AllMarketMiniTickersStream)
    all_market_tickers_streams = Builds(AllMarketTickersStreams)
    asset_index = Builds(AssetIndex)
    composite_index_symbol_information_streams = Builds(CompositeIndexSymbolInformationStreams)
    continuous_contract_kline_candlestick_streams = Builds(
        ContinuousContractKlineCandlestickStreams
    )
    contract_info_stream = Builds(ContractInfoStream)
    individual_symbol_mini_ticker_stream = Builds(IndividualSymbolMiniTickerStream)
    individual_symbol_ticker_streams = Builds(IndividualSymbolTickerStreams)
    kline_candlestick_streams = Builds(KlineCandlestickStreams)
    liquidation_order_streams = Builds(LiquidationOrderStreams)
    mark_price_stream = Builds(MarkPriceStream)
    mark_price_stream_for_all_market = Builds(MarkPriceStreamForAllMarket)
    trading_session_stream = Builds(TradingSessionStream)


class PublicApi(_StreamService):
    """The ``/public`` streams (Go ``PublicAPI``, plus ``trade_streams``); each method returns a
    fresh builder."""

    all_book_tickers_stream = Builds(AllBookTickersStream)
    diff_book_depth_streams = Builds(DiffBookDepthStreams)
    individual_symbol_book_ticker_streams = Builds(IndividualSymbolBookTickerStreams)
    partial_book_depth_streams = Builds(PartialBookDepthStreams)
    rpi_diff_book_depth_streams = Builds(RpiDiffBookDepthStreams)
    #: Not in the Go connector: served live on ``/public``, undocumented.
    trade_streams = Builds(TradeStreams)
