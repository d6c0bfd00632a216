"""Market data methods: ``depth``, ``ticker.price``, ``ticker.book`` (security NONE).

Public: no key needed. ``ticker.price`` and ``ticker.book`` answer one object for a
``symbol`` and a list of every symbol without one; their builders decode accordingly
(``result_type()``). The types say the same: a fresh ticker builder is a ``Request[list[X]]``,
and its ``symbol`` setter returns the same builder typed ``Request[X]`` (:class:`OneSymbol`), so
``symbol_price_ticker().symbol("BTCUSDT").execute().result`` is one ``PriceTickerResult``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, TypeVar, Union, overload

from ...enums import DepthLimit
from .._models import BookTickerResult, OrderBookResult, PriceTickerResult
from .._requests import LONG, STRING, Builds, Param, Request, Service
from ._common import DOCS

__all__ = [
    "MarketDataApi",
    "OneSymbol",
    "OrderBook",
    "SymbolOrderBookTicker",
    "SymbolPriceTicker",
]

X = TypeVar("X")

_MARKET = f"{DOCS}/market-data/websocket-api"


class OrderBook(Request[OrderBookResult]):
    """The order book of a symbol (RPI orders excluded), best levels first."""

    method = "depth"
    result = OrderBookResult
    weight = "2 for limit 5-50, 5 for 100, 10 for 500 (default), 20 for 1000"
    docs = f"{_MARKET}/Order-Book"

    symbol = Param[str](STRING, required=True, doc="Symbol, e.g. ``BTCUSDT``.")
    limit = Param[Union[DepthLimit, int]](
        LONG, choices=DepthLimit, doc="Levels per side (default 500)."
    )


class OneSymbol(Param[str]):
    """The ``symbol`` param of a "one or every symbol" method: setting it narrows the result.

    At run time it is a plain ``Param[str]`` (the setter returns the builder itself, whose
    ``result_type()`` is then ``X``); for a type checker the setter returns ``Request[X]``
    where the builder was a ``Request[list[X]]``.
    """

    @property
    def value_type(self) -> Any:
        """``str``: what the setter takes."""
        return str

    if TYPE_CHECKING:  # the types only; Param.__get__ does the work

        @overload  # type: ignore[override]
        def __get__(self, obj: None, owner: Any) -> Param[str]: ...

        @overload
        def __get__(self, obj: _OneOrEvery[X], owner: Any) -> Callable[[str], Request[X]]: ...

        def __get__(self, obj: Any, owner: Any) -> Any: ...


class _OneOrEvery(Request[list[X]]):
    """Base of the tickers: one ``X`` for a symbol, a ``list[X]`` of every symbol without."""

    symbol = OneSymbol(STRING, doc="Only this symbol (one object); every symbol (a list).")

    def result_type(self) -> Any:
        """``X`` when ``symbol`` is set, ``list[X]`` when it is not."""
        one = self.result
        return one if "symbol" in self._params else list.__class_getitem__(one)


class SymbolPriceTicker(_OneOrEvery[PriceTickerResult]):
    """Latest price of a symbol, or of every symbol."""

    method = "ticker.price"
    result = PriceTickerResult
    weight = "1 with symbol, 2 without"
    docs = f"{_MARKET}/Symbol-Price-Ticker"


class SymbolOrderBookTicker(_OneOrEvery[BookTickerResult]):
    """Best bid and ask of a symbol, or of every symbol (RPI orders excluded)."""

    method = "ticker.book"
    result = BookTickerResult
    weight = "2 with symbol, 5 without"
    docs = f"{_MARKET}/Symbol-Order-Book-Ticker"


class MarketDataApi(Service):
    """Public market data; each method returns a fresh request builder."""

    order_book = Builds(OrderBook)
    symbol_price_ticker = Builds(SymbolPriceTicker)
    symbol_order_book_ticker = Builds(SymbolOrderBookTicker)
