"""The trading engine: books per symbol, accounts, order lifecycle, user-data events."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from ._accounts import (
    LEVERAGE,
    MAKER_FEE,
    TAKER_FEE,
    Account,
    Totals,
    avg,
    money,
    position_figures,
)
from ._book import ZERO, AlgoBook, Book, Order, SymbolInfo
from ._common import ApiError, random_alnum

if TYPE_CHECKING:
    from ._depth_faults import DepthFaults

__all__ = ["Engine", "DEFAULT_SYMBOLS"]

Number = Union[str, int, float, Decimal]
Emit = Callable[[str, dict[str, Any]], None]

BTC = SymbolInfo(tick=Decimal("0.10"), step=Decimal("0.001"), price_places=2, qty_places=3)
ETH = SymbolInfo(tick=Decimal("0.01"), step=Decimal("0.001"), price_places=2, qty_places=3)

#: symbol -> (rules, last price, bids, asks) seeded at start.
DEFAULT_SYMBOLS: dict[str, tuple[SymbolInfo, str, list[tuple[str, str]], list[tuple[str, str]]]] = {
    "BTCUSDT": (
        BTC,
        "60000.00",
        [("59999.90", "1.000"), ("59999.00", "2.000"), ("59990.00", "5.000")],
        [("60000.10", "1.000"), ("60001.00", "2.000"), ("60010.00", "5.000")],
    ),
    "ETHUSDT": (
        ETH,
        "3000.00",
        [("2999.99", "10.000"), ("2999.50", "20.000"), ("2995.00", "50.000")],
        [("3000.01", "10.000"), ("3000.50", "20.000"), ("3005.00", "50.000")],
    ),
}


def to_decimal(value: Number) -> Decimal:
    """Convert a test-supplied number to Decimal via its text (floats as ``repr``)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


class Engine:
    """Books, accounts and orders. Only the server's loop thread calls it.

    Args:
        now_ms: The simulated clock.
        emit: Delivers a user-data event to the streams of an API key.
        replenish: Top synthetic levels back up after each match.
        initial_balance: USDT wallet balance of each new account.
    """

    def __init__(
        self,
        now_ms: Callable[[], int],
        emit: Emit,
        replenish: bool = False,
        initial_balance: Decimal = Decimal(100000),
    ) -> None:
        self.now_ms = now_ms
        self.emit = emit
        self.replenish = replenish
        self.initial_balance = initial_balance
        self.books: dict[str, Book] = {}
        #: The depth-stream faults (``LocalExchange.depth``): a stale ``depth`` answer.
        self.depth_faults: Optional[DepthFaults] = None
        self.accounts: dict[str, Account] = {}
        self.orders: dict[str, dict[int, Order]] = {}
        self._open: dict[tuple[str, str], dict[int, Order]] = {}
        self._by_client_id: dict[tuple[str, str, str], Order] = {}
        self._gtd: set[Order] = set()
        self._order_ids: dict[str, itertools.count[int]] = {}
        self._trade_ids = itertools.count(100000001)
        self._to_replenish: set[str] = set()
        self.algo = AlgoBook(now_ms, emit)
        #: Called with (symbol, price, qty, taker side, trade id, time) for every fill.
        self.on_trade: Optional[Callable[[str, Decimal, Decimal, str, int, int], None]] = None
        #: As on Binance, now and then a trade id is spent without a fill: every trade id that
        #: is a multiple of this (0: never) goes to ``on_placeholder(symbol, trade id, time)``
        #: (a ``@trade`` frame priced and sized 0) and the fill takes the next id.
        self.placeholder_every = 100
        self.on_placeholder: Optional[Callable[[str, int, int], None]] = None
        now = now_ms()
        for symbol, (info, last, bids, asks) in DEFAULT_SYMBOLS.items():
            book = Book(symbol, info, Decimal(last))
            book.set_liquidity(
                [(Decimal(p), Decimal(q)) for p, q in bids],
                [(Decimal(p), Decimal(q)) for p, q in asks],
                now,
            )
            self.books[symbol] = book

    # ------------------------------------------------------------------------ books & accounts

    def symbols(self) -> list[str]:
        """All symbols, sorted."""
        return sorted(self.books)

    def book(self, symbol: str) -> Book:
        """Return the book of ``symbol``.

        Raises:
            ApiError: 400 / -1121 for an unknown symbol.
        """
        book = self.books.get(symbol)
        if book is None:
            raise ApiError(400, -1121, "Invalid symbol.")
        return book

    def set_book(
        self,
        symbol: str,
        bids: Iterable[tuple[Number, Number]],
        asks: Iterable[tuple[Number, Number]],
        last_price: Union[Number, None] = None,
    ) -> None:
        """Replace the synthetic liquidity of ``symbol`` (created with default rules if new)."""
        bid_levels = [(to_decimal(p), to_decimal(q)) for p, q in bids]
        ask_levels = [(to_decimal(p), to_decimal(q)) for p, q in asks]
        book = self.books.get(symbol)
        if book is None:
            first = (bid_levels or ask_levels or [(Decimal(0), Decimal(0))])[0][0]
            book = self.books[symbol] = Book(symbol, SymbolInfo(), first)
        book.set_liquidity(bid_levels, ask_levels, self.now_ms())
        if last_price is not None:
            book.last_price = to_decimal(last_price)

    def account(self, api_key: str) -> Account:
        """Return (creating if needed) the account of ``api_key``."""
        acct = self.accounts.get(api_key)
        if acct is None:
            acct = self.accounts[api_key] = Account(api_key, self.initial_balance)
        return acct

    def open_orders(self, api_key: str, symbol: Optional[str] = None) -> list[Order]:
        """The open orders of ``api_key`` (in ``symbol`` only, if given)."""
        symbols = [symbol] if symbol is not None else list(self.books)
        out: list[Order] = []
        for s in symbols:
            candidates = self._open.get((api_key, s))
            if not candidates:
                continue
            for order_id in [i for i, o in candidates.items() if not o.is_open]:
                del candidates[order_id]  # prune orders that closed since the last look
            out.extend(candidates.values())
        return out

    def open_notional(self, api_key: str, symbol: str) -> tuple[Decimal, Decimal]:
        """Notional of the open BUY and SELL orders of ``api_key`` in ``symbol``."""
        bid = ask = ZERO
        for o in self.open_orders(api_key, symbol):
            if o.side == "BUY":
                bid += o.price * o.remaining
            else:
                ask += o.price * o.remaining
        return bid, ask

    def figures(self, api_key: str, symbol: str) -> dict[str, Decimal]:
        """Per-position figures of ``api_key`` in ``symbol`` (see ``position_figures``)."""
        pos = self.account(api_key).position(symbol)
        return position_figures(pos, self.books[symbol], self.open_notional(api_key, symbol))

    def totals(self, api_key: str) -> Totals:
        """Account-wide margin figures of ``api_key``."""
        t = Totals()
        for symbol in self.books:
            f = self.figures(api_key, symbol)
            t.unrealized += f["up"]
            t.position_im += f["pim"]
            t.order_im += f["oim"]
            t.maint += f["maint"]
        return t

    # ------------------------------------------------------------------------------- orders

    def find(
        self, owner: str, symbol: str, order_id: Optional[int], client_id: Optional[str]
    ) -> Optional[Order]:
        """Find an order of ``owner`` by id (preferred) or by client order id (latest)."""
        if order_id is not None:
            order = self.orders.get(symbol, {}).get(order_id)
            return order if order is not None and order.owner == owner else None
        return self._by_client_id.get((owner, symbol, client_id or ""))

    def create(self, owner: str, symbol: str, **fields: Any) -> Order:
        """Create and register a NEW order (not executed yet); checks client id uniqueness.

        Raises:
            ApiError: -4116 if ``client_order_id`` is used by an open order of ``owner``.
        """
        client_id = fields.pop("client_order_id", None) or random_alnum(22)
        same = self._by_client_id.get((owner, symbol, client_id))
        if same is not None and same.is_open:
            raise ApiError(400, -4116, "clientOrderId is duplicated.")
        ids = self._order_ids.setdefault(symbol, itertools.count(4000000001))
        now = self.now_ms()
        order = Order(
            next(ids), symbol, client_id, owner=owner, time=now, update_time=now, **fields
        )
        self.orders.setdefault(symbol, {})[order.order_id] = order
        self._open.setdefault((owner, symbol), {})[order.order_id] = order
        self._by_client_id[(owner, symbol, client_id)] = order
        if order.time_in_force == "GTD":
            self._gtd.add(order)
        return order

    def check_margin(
        self, api_key: str, symbol: str, side: str, qty: Decimal, price: Optional[Decimal]
    ) -> None:
        """Reject an order whose new exposure needs more initial margin than is available.

        The part that closes the position needs none; the rest needs its notional / leverage
        (a LIMIT order at its price, a MARKET order at the prices it would sweep in the book,
        the last price beyond it), against wallet + unrealized PnL - initial margin in use.

        Raises:
            ApiError: 400 / -2019 ``Margin is insufficient.``
        """
        book = self.books[symbol]
        acct = self.account(api_key)
        amount = acct.position(symbol).amount
        opening = qty
        if amount and (amount > 0) != (side == "BUY"):
            opening = max(ZERO, qty - abs(amount))
        if opening <= 0:
            return
        if price is not None:
            notional = opening * price
        else:
            notional, left = ZERO, opening
            for maker in book.makers(side, None):
                take = min(left, maker.remaining)
                notional, left = notional + take * maker.price, left - take
                if left <= 0:
                    break
            notional += left * book.last_price
        t = self.totals(api_key)
        if notional / LEVERAGE > acct.wallet + t.unrealized - t.initial:
            raise ApiError(400, -2019, "Margin is insufficient.")

    def synthetic_order(
        self, symbol: str, side: str, qty: Decimal, price: Optional[Decimal] = None
    ) -> Order:
        """An order of nobody's account (the market flow): a LIMIT one (``price``) trades what
        it crosses and rests the rest; a MARKET one (None) trades and expires."""
        now = self.now_ms()
        kind, tif = ("MARKET", "IOC") if price is None else ("LIMIT", "GTC")
        order = Order(0, symbol, "", side, kind, tif, price or ZERO, qty, None, now, now)
        self._match(order, price)
        if price is not None and order.remaining > 0:
            self.books[symbol].add(order)
        return order

    def execute(self, order: Order) -> None:
        """Announce a NEW order, match it, then rest or expire what is left."""
        self._order_event(order, "NEW")
        self._match(order, order.price if order.type == "LIMIT" else None)
        self._settle(order)

    def _settle(self, order: Order) -> None:
        if order.status == "EXPIRED_IN_MATCH":
            self._order_event(order, "EXPIRED", er="1")
        elif order.remaining <= 0:
            return
        elif order.type == "MARKET" or order.time_in_force in ("IOC", "FOK"):
            order.status = "EXPIRED"
            self._order_event(order, "EXPIRED", er="9" if order.type == "MARKET" else "2")
        else:
            self.books[order.symbol].add(order)

    def _match(self, taker: Order, limit: Optional[Decimal]) -> None:
        book = self.books[taker.symbol]
        now = self.now_ms()
        for maker in book.makers(taker.side, limit):
            if taker.remaining <= 0:
                break
            if maker.owner is not None and maker.owner == taker.owner and taker.stp_mode != "NONE":
                if taker.stp_mode in ("EXPIRE_MAKER", "EXPIRE_BOTH"):
                    book.remove(maker)
                    maker.status = "EXPIRED_IN_MATCH"
                    self._order_event(maker, "EXPIRED", er="1")
                if taker.stp_mode in ("EXPIRE_TAKER", "EXPIRE_BOTH"):
                    taker.status = "EXPIRED_IN_MATCH"
                    break
                continue
            qty = min(taker.remaining, maker.remaining)
            trade_id = self._next_trade_id(taker.symbol, now)
            book.last_price, book.last_trade_ms = maker.price, now
            if maker.remaining == qty:
                book.remove(maker)
            else:
                book.update_id += 1  # a level that shrank is an update of the book too
            # One fill, one transaction time: the same ``now`` on /private and /market.
            self._fill(taker, maker.price, qty, trade_id, False, now)
            self._fill(maker, maker.price, qty, trade_id, True, now)
            if self.on_trade is not None:
                self.on_trade(taker.symbol, maker.price, qty, taker.side, trade_id, now)
        if self.replenish:
            # Later, after the fills' depth change is published (``replenish_now``).
            self._to_replenish.add(book.symbol)

    def replenish_now(self) -> bool:
        """Top up the synthetic levels of the books that traded (``replenish``); returns
        whether any book was topped up. The exchange publishes the fills' depth change first,
        then calls this, then publishes the top-up: every fill shows on the depth stream."""
        symbols, self._to_replenish = self._to_replenish, set()
        now = self.now_ms()
        for symbol in symbols:
            self.books[symbol].replenish(now)
        return bool(symbols)

    def _next_trade_id(self, symbol: str, now: int) -> int:
        """The id of the next fill, after a placeholder id when one is due."""
        trade_id = next(self._trade_ids)
        every = self.placeholder_every
        if every and trade_id % every == 0:
            if self.on_placeholder is not None:
                self.on_placeholder(symbol, trade_id, now)
            trade_id = next(self._trade_ids)
        return trade_id

    def _fill(
        self, order: Order, price: Decimal, qty: Decimal, trade_id: int, is_maker: bool, now: int
    ) -> None:
        order.executed_qty += qty
        order.cum_quote += price * qty
        order.status = "FILLED" if order.remaining <= 0 else "PARTIALLY_FILLED"
        order.update_time = now
        if order.owner is None:
            return
        acct = self.account(order.owner)
        pnl = acct.position(order.symbol).apply(order.side, qty, price, now)
        fee = (price * qty * (MAKER_FEE if is_maker else TAKER_FEE)).quantize(Decimal("1e-8"))
        acct.wallet += pnl - fee
        acct.update_time = now
        book = self.books[order.symbol]
        self.emit(
            order.owner,
            {
                "e": "TRADE_LITE",
                "E": now,
                "T": now,
                "s": order.symbol,
                "q": book.fmt_qty(order.orig_qty),
                "p": self._price_text(order),
                "m": is_maker,
                "c": order.client_order_id,
                "S": order.side,
                "L": book.fmt_price(price),
                "l": book.fmt_qty(qty),
                "t": trade_id,
                "i": order.order_id,
            },
        )
        fill = {
            "l": book.fmt_qty(qty),
            "L": book.fmt_price(price),
            "N": "USDT",
            "n": money(fee),
            "t": trade_id,
            "m": is_maker,
            "rp": money(pnl),
        }
        self._order_event(order, "TRADE", fill=fill, now=now)
        self._account_event(acct, order.symbol, now)

    def modify(self, order: Order, price: Decimal, qty: Decimal, modify_id: Optional[int]) -> None:
        """Amend an open LIMIT order (re-queued; may trade; cancelled when Binance would)."""
        if not order.is_open:
            raise ApiError(400, -2013, "Order does not exist.")
        if order.type != "LIMIT":
            raise ApiError(400, -5025, "Only limit order is supported.")
        if price == order.price and qty == order.orig_qty:
            raise ApiError(400, -5027, "No need to modify the order.")
        if order.modify_count >= 10000:
            raise ApiError(400, -5026, "Exceed maximum modify order limit.")
        book = self.books[order.symbol]
        post_only = order.time_in_force in ("GTX", "RPI")
        if qty <= order.executed_qty or (post_only and book.crosses(order.side, price)):
            self.cancel(order)
            return
        book.remove(order)
        order.price, order.orig_qty = price, qty
        order.modify_count += 1
        order.update_time = self.now_ms()
        self._order_event(order, "AMENDMENT", modify_id=modify_id)
        self._match(order, price)
        self._settle(order)

    def cancel(self, order: Order) -> None:
        """Cancel an open order.

        Raises:
            ApiError: 400 / -2011 if the order is not open.
        """
        if not order.is_open:
            raise ApiError(400, -2011, "Unknown order sent.")
        self.books[order.symbol].remove(order)
        order.status = "CANCELED"
        order.update_time = self.now_ms()
        self._order_event(order, "CANCELED")

    def tick(self, now_ms: int) -> None:
        """Expire GTD orders whose ``goodTillDate`` has passed."""
        for order in list(self._gtd):
            if not order.is_open:
                self._gtd.discard(order)
            elif order.good_till_date <= now_ms:
                self._gtd.discard(order)
                self.books[order.symbol].remove(order)
                order.status = "EXPIRED"
                order.update_time = now_ms
                self._order_event(order, "EXPIRED")

    # ----------------------------------------------------------------------------- events

    def _price_text(self, order: Order) -> str:
        return self.books[order.symbol].fmt_price(order.price) if order.type == "LIMIT" else "0"

    def _order_event(
        self,
        order: Order,
        execution: str,
        *,
        fill: Optional[dict[str, Any]] = None,
        er: str = "0",
        modify_id: Optional[int] = None,
        now: Optional[int] = None,
    ) -> None:
        if order.owner is None:
            return
        book = self.books[order.symbol]
        if now is None:
            now = self.now_ms()
        bid, ask = self.open_notional(order.owner, order.symbol)
        o: dict[str, Any] = {
            "s": order.symbol,
            "c": order.client_order_id,
            "S": order.side,
            "o": order.type,
            "f": order.time_in_force,
            "q": book.fmt_qty(order.orig_qty),
            "p": self._price_text(order),
            "ap": avg(order.avg_price),
            "sp": "0",
            "x": execution,
            "X": order.status,
            "i": order.order_id,
            "l": book.fmt_qty(ZERO),
            "z": book.fmt_qty(order.executed_qty),
            "L": "0",
            "T": now,
            "t": 0,
            "b": money(bid),
            "a": money(ask),
            "m": False,
            "R": order.reduce_only,
            "wt": "CONTRACT_PRICE",
            "ot": order.type,
            "ps": order.position_side,
            "cp": False,
            "pP": False,
            "si": 0,
            "ss": 0,
            "rp": "0",
            "V": order.stp_mode,
            "pm": order.price_match,
            "gtd": order.good_till_date,
            "er": er,
        }
        if fill is not None:
            o.update(fill)
        if modify_id is not None:
            o["M"] = str(modify_id)
        self.emit(order.owner, {"e": "ORDER_TRADE_UPDATE", "E": now, "T": now, "o": o})

    def _account_event(self, acct: Account, symbol: str, now: int) -> None:
        pos = acct.position(symbol)
        book = self.books[symbol]
        balance = {"a": "USDT", "wb": money(acct.wallet), "cw": money(acct.wallet), "bc": "0"}
        position = {
            "s": symbol,
            "pa": book.fmt_qty(pos.amount),
            "ep": avg(pos.entry),
            "bep": avg(pos.entry),
            "cr": money(pos.realized),
            "up": money(pos.unrealized(book.last_price)),
            "mt": "cross",
            "iw": "0",
            "ps": "BOTH",
            "ma": "USDT",
        }
        self.emit(
            acct.api_key,
            {
                "e": "ACCOUNT_UPDATE",
                "E": now,
                "T": now,
                "a": {"m": "ORDER", "B": [balance], "P": [position]},
            },
        )
