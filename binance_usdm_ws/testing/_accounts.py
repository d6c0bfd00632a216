"""Accounts (one per API key): USDT wallet, one-way positions, and their JSON views."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ._book import ZERO, Book
from ._common import fmt, random_alnum

__all__ = ["Account", "Position", "TAKER_FEE", "MAKER_FEE"]

TAKER_FEE = Decimal("0.0005")
MAKER_FEE = Decimal("0.0002")
MAINT_RATE = Decimal("0.004")
LEVERAGE = 20
MAX_NOTIONAL = "1000000"


def money(value: Decimal) -> str:
    """Format an amount of USDT (8 decimals)."""
    return fmt(value, 8)


def avg(value: Decimal) -> str:
    """Format an average or entry price (5 decimals, like Binance's ``avgPrice``)."""
    return fmt(value, 5)


@dataclass
class Position:
    """A one-way (``BOTH``) position: signed amount, entry price, accumulated realized PnL."""

    symbol: str
    amount: Decimal = ZERO
    entry: Decimal = ZERO
    realized: Decimal = ZERO
    update_time: int = 0

    def apply(self, side: str, qty: Decimal, price: Decimal, now_ms: int) -> Decimal:
        """Apply a fill to the position and return the realized PnL of the fill."""
        signed = qty if side == "BUY" else -qty
        old = self.amount
        new = old + signed
        pnl = ZERO
        if old == 0 or (old > 0) == (signed > 0):
            self.entry = (abs(old) * self.entry + qty * price) / abs(new)
        else:
            closing = min(abs(old), qty)
            pnl = (price - self.entry) * closing * (1 if old > 0 else -1)
            if new == 0:
                self.entry = ZERO
            elif (new > 0) != (old > 0):
                self.entry = price
        self.amount = new
        self.realized += pnl
        self.update_time = now_ms
        return pnl

    def unrealized(self, mark: Decimal) -> Decimal:
        """Unrealized PnL at ``mark``."""
        return (mark - self.entry) * self.amount


@dataclass
class Account:
    """The futures account of one API key (single-asset mode, cross margin, USDT only)."""

    api_key: str
    wallet: Decimal
    positions: dict[str, Position] = field(default_factory=dict)
    alias: str = field(default_factory=lambda: random_alnum(4))
    update_time: int = 0

    def position(self, symbol: str) -> Position:
        """Return (creating if needed) the position in ``symbol``."""
        pos = self.positions.get(symbol)
        if pos is None:
            pos = self.positions[symbol] = Position(symbol)
        return pos


@dataclass
class Totals:
    """Margin figures of an account, computed from positions and open orders."""

    unrealized: Decimal = ZERO
    position_im: Decimal = ZERO
    order_im: Decimal = ZERO
    maint: Decimal = ZERO

    @property
    def initial(self) -> Decimal:
        """Total initial margin."""
        return self.position_im + self.order_im


def position_figures(
    pos: Position, book: Book, open_notional: tuple[Decimal, Decimal]
) -> dict[str, Decimal]:
    """Per-position figures: notional, unrealized PnL, margins, bid/ask notional."""
    mark = book.last_price
    notional = pos.amount * mark
    bid, ask = open_notional
    return {
        "notional": notional,
        "up": pos.unrealized(mark),
        "pim": abs(notional) / LEVERAGE,
        "oim": (bid + ask) / LEVERAGE,
        "maint": abs(notional) * MAINT_RATE,
        "bid": bid,
        "ask": ask,
    }


def position_v1(pos: Position, book: Book, f: dict[str, Decimal]) -> dict[str, Any]:
    """``account.position`` item."""
    return {
        "entryPrice": avg(pos.entry),
        "breakEvenPrice": avg(pos.entry),
        "marginType": "cross",
        "isAutoAddMargin": "false",
        "isolatedMargin": money(ZERO),
        "leverage": str(LEVERAGE),
        "liquidationPrice": "0",
        "markPrice": money(book.last_price),
        "maxNotionalValue": MAX_NOTIONAL,
        "positionAmt": book.fmt_qty(pos.amount),
        "notional": money(f["notional"]),
        "isolatedWallet": "0",
        "symbol": pos.symbol,
        "unRealizedProfit": money(f["up"]),
        "positionSide": "BOTH",
        "updateTime": pos.update_time,
    }


def position_v2(pos: Position, book: Book, f: dict[str, Decimal]) -> dict[str, Any]:
    """``v2/account.position`` item."""
    return {
        "symbol": pos.symbol,
        "positionSide": "BOTH",
        "positionAmt": book.fmt_qty(pos.amount),
        "entryPrice": avg(pos.entry),
        "breakEvenPrice": avg(pos.entry),
        "markPrice": money(book.last_price),
        "unRealizedProfit": money(f["up"]),
        "liquidationPrice": "0",
        "isolatedMargin": money(ZERO),
        "notional": money(f["notional"]),
        "marginAsset": "USDT",
        "isolatedWallet": "0",
        "initialMargin": money(f["pim"] + f["oim"]),
        "maintMargin": money(f["maint"]),
        "positionInitialMargin": money(f["pim"]),
        "openOrderInitialMargin": money(f["oim"]),
        "adl": 0,
        "bidNotional": money(f["bid"]),
        "askNotional": money(f["ask"]),
        "updateTime": pos.update_time,
    }


def status_position(pos: Position, book: Book, f: dict[str, Decimal], v2: bool) -> dict[str, Any]:
    """``account.status`` / ``v2/account.status`` position item."""
    if v2:
        return {
            "symbol": pos.symbol,
            "positionSide": "BOTH",
            "positionAmt": book.fmt_qty(pos.amount),
            "unrealizedProfit": money(f["up"]),
            "isolatedMargin": money(ZERO),
            "notional": money(f["notional"]),
            "isolatedWallet": "0",
            "initialMargin": money(f["pim"] + f["oim"]),
            "maintMargin": money(f["maint"]),
            "updateTime": pos.update_time,
        }
    return {
        "symbol": pos.symbol,
        "initialMargin": money(f["pim"] + f["oim"]),
        "maintMargin": money(f["maint"]),
        "unrealizedProfit": money(f["up"]),
        "positionInitialMargin": money(f["pim"]),
        "openOrderInitialMargin": money(f["oim"]),
        "leverage": str(LEVERAGE),
        "isolated": False,
        "entryPrice": avg(pos.entry),
        "maxNotional": MAX_NOTIONAL,
        "bidNotional": money(f["bid"]),
        "askNotional": money(f["ask"]),
        "positionSide": "BOTH",
        "positionAmt": book.fmt_qty(pos.amount),
        "updateTime": pos.update_time,
        "breakEvenPrice": avg(pos.entry),
    }


def balance_row(acct: Account, t: Totals) -> dict[str, Any]:
    """``account.balance`` item (USDT)."""
    available = acct.wallet + t.unrealized - t.initial
    return {
        "accountAlias": acct.alias,
        "asset": "USDT",
        "balance": money(acct.wallet),
        "crossWalletBalance": money(acct.wallet),
        "crossUnPnl": money(t.unrealized),
        "availableBalance": money(available),
        "maxWithdrawAmount": money(max(ZERO, min(acct.wallet, available))),
        "marginAvailable": True,
        "updateTime": acct.update_time,
    }


def status_totals(acct: Account, t: Totals) -> dict[str, Any]:
    """The ``total*`` figures, ``availableBalance`` and ``maxWithdrawAmount`` of the account."""
    available = acct.wallet + t.unrealized - t.initial
    return {
        "totalInitialMargin": money(t.initial),
        "totalMaintMargin": money(t.maint),
        "totalWalletBalance": money(acct.wallet),
        "totalUnrealizedProfit": money(t.unrealized),
        "totalMarginBalance": money(acct.wallet + t.unrealized),
        "totalPositionInitialMargin": money(t.position_im),
        "totalOpenOrderInitialMargin": money(t.order_im),
        "totalCrossWalletBalance": money(acct.wallet),
        "totalCrossUnPnl": money(t.unrealized),
        "availableBalance": money(available),
        "maxWithdrawAmount": money(max(ZERO, min(acct.wallet, available))),
    }


def status_asset(acct: Account, t: Totals) -> dict[str, Any]:
    """The USDT item of ``assets`` in ``account.status``."""
    available = acct.wallet + t.unrealized - t.initial
    return {
        "asset": "USDT",
        "walletBalance": money(acct.wallet),
        "unrealizedProfit": money(t.unrealized),
        "marginBalance": money(acct.wallet + t.unrealized),
        "maintMargin": money(t.maint),
        "initialMargin": money(t.initial),
        "positionInitialMargin": money(t.position_im),
        "openOrderInitialMargin": money(t.order_im),
        "crossWalletBalance": money(acct.wallet),
        "crossUnPnl": money(t.unrealized),
        "availableBalance": money(available),
        "maxWithdrawAmount": money(max(ZERO, min(acct.wallet, available))),
        "marginAvailable": True,
        "updateTime": acct.update_time,
    }
