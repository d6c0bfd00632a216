"""The live market of the local exchange: its own order flow, a few orders every 100 ms.

Every symbol has a mid price that wanders (a random walk pulled back toward where it started,
so it never drifts away over hours). Around it, market makers of nobody's account add and
cancel limit orders a few ticks out, now and then a taker sends a small market order, and
once in a while a position is liquidated (a market order reported on ``forceOrder``).
They go through the engine like any order, so they trade with the accounts' resting orders
too, and every change reaches the streams as the engine's own changes do: trades, depth
diffs, book tickers, klines and tickers, consistent with what ``depth`` answers.

It is cheap (a handful of dict operations per symbol and step, in the exchange's loop thread)
and, given a ``seed``, the same sequence of orders every run.
"""

from __future__ import annotations

import random
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Callable, Optional

if TYPE_CHECKING:
    from ._book import Book
    from ._trading import Engine

__all__ = ["MarketFlow"]

#: Levels per side the makers keep (the farthest synthetic level goes beyond it).
_LEVELS = 40
#: How far from the mid, in ticks, makers quote (exponentially fewer far out).
_SPREAD_TICKS = 10.0


class MarketFlow:
    """The makers and takers of the local exchange (see the module docstring).

    Args:
        engine: The exchange's engine (only the server's loop thread calls ``step``).
        seed: Seed of the random order flow (None: a different market every run).
    """

    def __init__(self, engine: Engine, seed: Optional[int] = None) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        self._mid: dict[str, Decimal] = {}
        self._anchor: dict[str, Decimal] = {}
        #: Steps taken (one per 100 ms while the exchange runs).
        self.steps = 0
        #: Called with (symbol, side, quantity, average price, time) for each liquidation.
        self.on_liquidation: Optional[Callable[[str, str, Decimal, Decimal, int], None]] = None

    def step(self) -> None:
        """One step of every symbol's flow (the exchange publishes what it changed)."""
        self.steps += 1
        for symbol, book in list(self.engine.books.items()):
            self._step(symbol, book)

    def _mid_of(self, symbol: str, book: Book) -> Decimal:
        bid, ask = book.best("BUY"), book.best("SELL")
        here = (bid + ask) / 2 if bid is not None and ask is not None else bid or ask
        mid = self._mid.get(symbol)
        tick = book.info.tick
        if here is not None and (mid is None or abs(here - mid) > 50 * tick):
            mid = here  # new, or moved by someone else (set_book, a big order): follow it
            self._anchor[symbol] = here
        if mid is None:
            mid = book.last_price
            self._anchor[symbol] = mid
        return mid

    def _step(self, symbol: str, book: Book) -> None:
        rng, engine, info = self.rng, self.engine, book.info
        tick = info.tick
        mid = self._mid_of(symbol, book)
        if mid <= 0:
            return
        anchor = self._anchor[symbol]
        pull = (
            -1 if mid > anchor * Decimal("1.002") else 1 if mid < anchor * Decimal("0.998") else 0
        )
        if rng.random() < 0.3:
            mid += tick * (rng.choice((-2, -1, -1, 1, 1, 2)) + pull)
        self._mid[symbol] = mid
        # A lot is 1-100 steps of the symbol's quantity step, often small.
        lot = info.step * max(1, int(rng.expovariate(1 / 30)))
        for _ in range(rng.randint(2, 4)):  # makers quote around the mid
            side = rng.choice(("BUY", "SELL"))
            away = 1 + int(rng.expovariate(1 / _SPREAD_TICKS))
            sign = -1 if side == "BUY" else 1
            price = (mid / tick).to_integral_value(ROUND_FLOOR) * tick + sign * away * tick
            if price > 0:
                qty = info.step * max(1, int(rng.expovariate(1 / 200)))
                engine.synthetic_order(symbol, side, qty, price)
        for side in ("BUY", "SELL"):  # makers cancel: far levels first, and a random one
            levels = book.bids if side == "BUY" else book.asks
            synthetic = [p for p, queue in levels.items() if any(o.owner is None for o in queue)]
            if not synthetic:
                continue
            if len(synthetic) > _LEVELS:
                self._cancel(book, side, max(synthetic) if side == "SELL" else min(synthetic))
            if rng.random() < 0.3:
                self._cancel(book, side, rng.choice(synthetic))
        if rng.random() < 0.3:  # a taker
            engine.synthetic_order(symbol, rng.choice(("BUY", "SELL")), lot)
        if rng.random() < 0.05:  # a liquidation: a market order of the exchange, reported
            side = rng.choice(("BUY", "SELL"))
            order = engine.synthetic_order(symbol, side, lot)
            if order.executed_qty and self.on_liquidation is not None:
                now = engine.now_ms()
                self.on_liquidation(symbol, side, order.executed_qty, order.avg_price, now)

    @staticmethod
    def _cancel(book: Book, side: str, price: Decimal) -> None:
        queue = (book.bids if side == "BUY" else book.asks).get(price, [])
        for order in [o for o in queue if o.owner is None]:
            book.remove(order)
