"""One side of a local order book: exact ``Decimal`` levels kept sorted, best first, trimmed
by price; and the parsing of a snapshot's or a diff's ``[price, quantity]`` pairs.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    pass


from ._items import Level, Levels

__all__ = []


class _Side:
    """One side: ``dict`` price → quantity plus the prices in ascending order (bisect).

    ``horizon`` is the worst price still known exactly (the snapshot's last level when it was
    cut at its ``limit``, or the last kept level after a trim); levels beyond it are unknown
    and never stored, so the side holds only exact levels.
    """

    __slots__ = ("qty", "prices", "is_bid", "horizon")

    def __init__(self, is_bid: bool) -> None:
        self.qty: dict[Decimal, Decimal] = {}
        self.prices: list[Decimal] = []  # ascending: the best bid is last, the best ask first
        self.is_bid = is_bid
        self.horizon: Optional[Decimal] = None

    def clear(self) -> None:
        self.qty.clear()
        self.prices.clear()
        self.horizon = None

    def load(self, levels: list[tuple[Decimal, Decimal]], cut: bool, keep: int) -> None:
        self.clear()
        for price, qty in levels:
            if qty:
                self.qty[price] = qty
        self.prices = sorted(self.qty)
        if cut and levels:
            self.horizon = levels[-1][0]
        self.trim(keep)

    def update(self, levels: Any) -> None:
        """Apply ``[["price", "qty"], ...]`` from the wire: absolute quantities, 0 removes.

        Raises ``ValueError``/``InvalidOperation``/``TypeError`` for a level that is not two
        finite numbers with a quantity ≥ 0 (the caller then unsyncs the book).
        """
        book, prices, horizon, is_bid = self.qty, self.prices, self.horizon, self.is_bid
        for raw_price, raw_qty in levels:
            price, qty = Decimal(raw_price), Decimal(raw_qty)
            if not (price.is_finite() and qty.is_finite()) or qty < 0:  # named, NaN too
                raise ValueError(f"bad level {raw_price!r} {raw_qty!r}")
            if horizon is not None and (price < horizon if is_bid else price > horizon):
                continue  # beyond what is known: storing it would make the book look deeper
            if qty:
                if price not in book:
                    insort(prices, price)
                book[price] = qty
            elif price in book:  # removing a level we do not have is normal
                del book[price]
                del prices[bisect_left(prices, price)]

    def trim(self, keep: int) -> None:
        extra = len(self.prices) - keep
        if extra > 0:
            prices = self.prices
            gone = prices[:extra] if self.is_bid else prices[keep:]
            if self.is_bid:
                del prices[:extra]
                self.horizon = prices[0]
            else:
                del prices[keep:]
                self.horizon = prices[-1]
            for price in gone:
                del self.qty[price]

    def best(self) -> Optional[Decimal]:
        prices = self.prices
        if not prices:
            return None
        return prices[-1] if self.is_bid else prices[0]

    def top(self, n: Optional[int]) -> Levels:
        prices = self.prices
        if n is None:
            n = len(prices)
        picked = prices[: -n - 1 : -1] if self.is_bid else prices[:n]
        qty = self.qty
        return tuple([Level(p, qty[p]) for p in picked])


def _levels(raw: Any) -> list[tuple[Decimal, Decimal]]:
    """``[["price", "qty"], ...]`` → exact pairs; anything else raises ``ValueError``."""
    out = []
    for price, qty in raw:
        p, q = Decimal(price), Decimal(qty)
        if not (p.is_finite() and q.is_finite()) or q < 0:
            raise ValueError(f"bad level {price!r} {qty!r}")
        out.append((p, q))
    return out
