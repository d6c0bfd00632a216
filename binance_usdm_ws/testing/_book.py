"""Orders and the per-symbol order book (price-time priority)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Optional

from ._common import ApiError, fmt, random_alnum

__all__ = ["AlgoBook", "AlgoOrder", "Book", "Order", "SymbolInfo", "ZERO"]

ZERO = Decimal(0)
OPEN_STATUSES = ("NEW", "PARTIALLY_FILLED")
_seq = itertools.count(1)


@dataclass(frozen=True)
class SymbolInfo:
    """Trading rules of a symbol: tick and step sizes, display precision, minimum notional."""

    tick: Decimal = Decimal("0.01")
    step: Decimal = Decimal("0.001")
    price_places: int = 2
    qty_places: int = 3
    min_notional: Decimal = Decimal("5")


@dataclass(eq=False)
class Order:
    """An order (``owner`` is the API key; None for the book's synthetic market makers)."""

    order_id: int
    symbol: str
    client_order_id: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    orig_qty: Decimal
    owner: Optional[str]
    time: int
    update_time: int
    executed_qty: Decimal = ZERO
    cum_quote: Decimal = ZERO
    status: str = "NEW"
    position_side: str = "BOTH"
    reduce_only: bool = False
    price_match: str = "NONE"
    stp_mode: str = "NONE"
    good_till_date: int = 0
    modify_count: int = 0
    seq: int = field(default_factory=lambda: next(_seq))

    @property
    def remaining(self) -> Decimal:
        """Quantity not filled yet."""
        return self.orig_qty - self.executed_qty

    @property
    def is_open(self) -> bool:
        """Whether the order is NEW or PARTIALLY_FILLED."""
        return self.status in OPEN_STATUSES

    @property
    def avg_price(self) -> Decimal:
        """Average fill price (0 before the first fill)."""
        return self.cum_quote / self.executed_qty if self.executed_qty else ZERO


class Book:
    """The resting orders of one symbol and its last trade.

    Args:
        symbol: Symbol name.
        info: Trading rules.
        last_price: Initial last trade price.
    """

    def __init__(self, symbol: str, info: SymbolInfo, last_price: Decimal) -> None:
        self.symbol = symbol
        self.info = info
        self.last_price = last_price
        self.last_trade_ms = 0
        self.update_id = 1
        self.bids: dict[Decimal, list[Order]] = {}
        self.asks: dict[Decimal, list[Order]] = {}
        self.seed: list[tuple[str, Decimal, Decimal]] = []

    def _side(self, side: str) -> dict[Decimal, list[Order]]:
        return self.bids if side == "BUY" else self.asks

    def add(self, order: Order) -> None:
        """Put ``order`` at the back of its price level."""
        self._side(order.side).setdefault(order.price, []).append(order)
        self.update_id += 1

    def remove(self, order: Order) -> None:
        """Take ``order`` off the book (no-op if absent)."""
        levels = self._side(order.side)
        queue = levels.get(order.price)
        if queue is not None and order in queue:
            queue.remove(order)
            if not queue:
                del levels[order.price]
            self.update_id += 1

    def _prices(self, side: str) -> list[Decimal]:
        return sorted(self._side(side), reverse=(side == "BUY"))

    def levels(self, side: str, limit: int) -> list[tuple[Decimal, Decimal]]:
        """Aggregated ``(price, qty)`` levels of ``side``, best first (RPI orders excluded)."""
        out = []
        for price in self._prices(side):
            qty = sum(
                (o.remaining for o in self._side(side)[price] if o.time_in_force != "RPI"), ZERO
            )
            if qty > 0:
                out.append((price, qty))
                if len(out) >= limit:
                    break
        return out

    def best(self, side: str) -> Optional[Decimal]:
        """Best price on ``side`` (``"BUY"`` = bids), or None when empty."""
        prices = self._prices(side)
        return prices[0] if prices else None

    def makers(self, taker_side: str, limit: Optional[Decimal]) -> Iterator[Order]:
        """Resting orders a taker on ``taker_side`` would meet, best first, up to ``limit``."""
        maker_side = "SELL" if taker_side == "BUY" else "BUY"
        for price in self._prices(maker_side):
            if limit is not None and (price > limit if taker_side == "BUY" else price < limit):
                return
            yield from list(self._side(maker_side).get(price, ()))

    def crosses(self, taker_side: str, price: Decimal) -> bool:
        """Whether a limit order at ``price`` would trade immediately."""
        return next(self.makers(taker_side, price), None) is not None

    def fillable(self, taker_side: str, limit: Optional[Decimal]) -> Decimal:
        """Total quantity available to a taker up to ``limit``."""
        return sum((o.remaining for o in self.makers(taker_side, limit)), ZERO)

    def set_liquidity(
        self,
        bids: Iterable[tuple[Decimal, Decimal]],
        asks: Iterable[tuple[Decimal, Decimal]],
        now_ms: int,
    ) -> None:
        """Replace the synthetic market-maker orders (accounts' orders stay)."""
        for levels in (self.bids, self.asks):
            for price in list(levels):
                levels[price] = [o for o in levels[price] if o.owner is not None]
                if not levels[price]:
                    del levels[price]
        self.seed = [("BUY", p, q) for p, q in bids] + [("SELL", p, q) for p, q in asks]
        for side, price, qty in self.seed:
            self._add_synthetic(side, price, qty, now_ms)

    def _add_synthetic(self, side: str, price: Decimal, qty: Decimal, now_ms: int) -> None:
        order = Order(0, self.symbol, "", side, "LIMIT", "GTC", price, qty, None, now_ms, now_ms)
        self.add(order)

    def replenish(self, now_ms: int) -> None:
        """Top the synthetic levels back up to their seeded quantities."""
        for side, price, qty in self.seed:
            have = sum(
                (o.remaining for o in self._side(side).get(price, ()) if o.owner is None), ZERO
            )
            if have < qty:
                self._add_synthetic(side, price, qty - have, now_ms)

    def fmt_price(self, value: Optional[Decimal]) -> str:
        """Format a price with the symbol's display precision (None → zero)."""
        return fmt(value if value is not None else ZERO, self.info.price_places)

    def fmt_qty(self, value: Optional[Decimal]) -> str:
        """Format a quantity with the symbol's display precision (None → zero)."""
        return fmt(value if value is not None else ZERO, self.info.qty_places)


@dataclass
class AlgoOrder:
    """A conditional (algo) order; it is stored and can be cancelled, but never triggers.

    A trailing stop without ``activatePrice`` activates at once (at the latest price).
    """

    algo_id: int
    client_algo_id: str
    owner: str
    params: dict[str, Any]
    status: str
    create_time: int
    update_time: int
    activated: bool = False


class AlgoBook:
    """The algo (conditional) orders of all accounts.

    Args:
        now_ms: The simulated clock.
        emit: Delivers a user-data event to the streams of an API key.
    """

    def __init__(
        self, now_ms: Callable[[], int], emit: Callable[[str, dict[str, Any]], None]
    ) -> None:
        self.now_ms = now_ms
        self.emit = emit
        self.orders: dict[int, AlgoOrder] = {}
        self._ids = itertools.count(3000000000000001)

    def place(self, owner: str, params: dict[str, Any]) -> AlgoOrder:
        """Store a NEW algo order (it never triggers) and push ALGO_UPDATE (twice for a trailing
        stop that activates at once: ``ia`` false, then true)."""
        now = self.now_ms()
        client_id = params.get("clientAlgoId") or random_alnum(22)
        algo = AlgoOrder(next(self._ids), client_id, owner, params, "NEW", now, now)
        self.orders[algo.algo_id] = algo
        self._event(algo)
        if params["type"] == "TRAILING_STOP_MARKET" and "activatePrice" not in params:
            # As on Binance: a second NEW for the same algo id, now activated (``ia``).
            algo.activated = True
            self._event(algo)
        return algo

    def find(
        self, owner: str, algo_id: Optional[int], client_id: Optional[str]
    ) -> Optional[AlgoOrder]:
        """Find an algo order of ``owner`` by id (preferred) or client algo id."""
        for algo in self.orders.values():
            if algo.owner == owner and (
                algo.algo_id == algo_id if algo_id is not None else algo.client_algo_id == client_id
            ):
                return algo
        return None

    def cancel(self, algo: AlgoOrder) -> None:
        """Cancel a NEW algo order and push ALGO_UPDATE."""
        if algo.status != "NEW":
            raise ApiError(400, -2011, "Unknown order sent.")
        algo.status = "CANCELED"
        algo.update_time = self.now_ms()
        self._event(algo)

    def _event(self, algo: AlgoOrder) -> None:
        p = algo.params
        now = self.now_ms()
        o = {
            "caid": algo.client_algo_id,
            "aid": algo.algo_id,
            "at": "CONDITIONAL",
            "o": p["type"],
            "s": p["symbol"],
            "S": p["side"],
            "ps": p.get("positionSide", "BOTH"),
            "f": p.get("timeInForce", "GTC"),
            "q": p.get("quantity", "0"),
            "X": algo.status,
            "ai": "",
            "ap": "0.00000",
            "aq": "0.00000",
            "act": "0",
            "tp": p.get("triggerPrice", "0"),
            "p": p.get("price", "0"),
            "V": p.get("selfTradePreventionMode", "NONE"),
            "wt": p.get("workingType", "CONTRACT_PRICE"),
            "pm": p.get("priceMatch", "NONE"),
            "cp": p.get("closePosition", False),
            "pP": p.get("priceProtect", False),
            "R": p.get("reduceOnly", False),
            "tt": 0,
            "gtd": p.get("goodTillDate", 0),
        }
        if p["type"] == "TRAILING_STOP_MARKET":
            o["ia"] = algo.activated
        self.emit(algo.owner, {"e": "ALGO_UPDATE", "T": now, "E": now, "o": o})
