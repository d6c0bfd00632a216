"""Enumerations of the USDⓈ-M Futures API (requests, replies and user data events).

Every enum is a ``str`` subclass whose value is the wire string, so ``Side.BUY == "BUY"`` and
``json.dumps(Side.BUY) == '"BUY"'``; ``str()`` and f-strings also give the wire value.

Decoding is lenient: a model field typed ``Optional[Union[Side, str]]`` holds the enum member when
the server sends a known value, and the **raw string** when it sends a value this version does not
know yet (Binance adds values without notice). Compare with ``==`` against the member and both
cases read naturally.
"""

from __future__ import annotations

from enum import Enum, IntEnum
from typing import Optional

__all__ = [
    "AccountUpdateReason",
    "AlgoOrderType",
    "AlgoStatus",
    "AlgoType",
    "DepthLimit",
    "ExecutionType",
    "MarginType",
    "NewOrderRespType",
    "OrderStatus",
    "OrderType",
    "PositionSide",
    "PriceMatch",
    "RateLimitInterval",
    "RateLimitType",
    "SelfTradePreventionMode",
    "Side",
    "StrategyStatus",
    "TimeInForce",
    "TimeUnit",
    "WorkingType",
]


class _WireEnum(str, Enum):
    """Base of the string enums: ``str(member)`` and ``format(member)`` give the wire value."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, format_spec: str) -> str:
        return format(str(self.value), format_spec)


class Side(_WireEnum):
    """Order side."""

    BUY = "BUY"
    SELL = "SELL"


class PositionSide(_WireEnum):
    """Position side: ``BOTH`` in one-way mode, ``LONG``/``SHORT`` in hedge mode."""

    BOTH = "BOTH"
    LONG = "LONG"
    SHORT = "SHORT"


class OrderType(_WireEnum):
    """Order type of orders and order events (``LIQUIDATION`` appears only in events)."""

    LIMIT = "LIMIT"
    MARKET = "MARKET"
    STOP = "STOP"
    STOP_MARKET = "STOP_MARKET"
    TAKE_PROFIT = "TAKE_PROFIT"
    TAKE_PROFIT_MARKET = "TAKE_PROFIT_MARKET"
    TRAILING_STOP_MARKET = "TRAILING_STOP_MARKET"
    LIQUIDATION = "LIQUIDATION"


class TimeInForce(_WireEnum):
    """Time in force: GTC (1 year), IOC, FOK, GTX (post only), GTD (until ``goodTillDate``), RPI."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    GTX = "GTX"
    GTD = "GTD"
    RPI = "RPI"


class OrderStatus(_WireEnum):
    """Order status (``EXPIRED_IN_MATCH``: expired by self-trade prevention)."""

    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    EXPIRED_IN_MATCH = "EXPIRED_IN_MATCH"


class WorkingType(_WireEnum):
    """Price that triggers a conditional order."""

    MARK_PRICE = "MARK_PRICE"
    CONTRACT_PRICE = "CONTRACT_PRICE"


class NewOrderRespType(_WireEnum):
    """Response type of ``order.place`` / ``algoOrder.place``."""

    ACK = "ACK"
    RESULT = "RESULT"


class SelfTradePreventionMode(_WireEnum):
    """Self-trade prevention mode."""

    NONE = "NONE"
    EXPIRE_TAKER = "EXPIRE_TAKER"
    EXPIRE_MAKER = "EXPIRE_MAKER"
    EXPIRE_BOTH = "EXPIRE_BOTH"


class PriceMatch(_WireEnum):
    """Price match mode of LIMIT orders (``NONE`` appears in results)."""

    NONE = "NONE"
    OPPONENT = "OPPONENT"
    OPPONENT_5 = "OPPONENT_5"
    OPPONENT_10 = "OPPONENT_10"
    OPPONENT_20 = "OPPONENT_20"
    QUEUE = "QUEUE"
    QUEUE_5 = "QUEUE_5"
    QUEUE_10 = "QUEUE_10"
    QUEUE_20 = "QUEUE_20"


class AlgoType(_WireEnum):
    """Algo order type of ``algoOrder.place`` (only ``CONDITIONAL``)."""

    CONDITIONAL = "CONDITIONAL"


class AlgoOrderType(_WireEnum):
    """Order type of a conditional algo order."""

    STOP_MARKET = "STOP_MARKET"
    TAKE_PROFIT_MARKET = "TAKE_PROFIT_MARKET"
    STOP = "STOP"
    TAKE_PROFIT = "TAKE_PROFIT"
    TRAILING_STOP_MARKET = "TRAILING_STOP_MARKET"


class AlgoStatus(_WireEnum):
    """Status of an algo order."""

    NEW = "NEW"
    CANCELED = "CANCELED"
    TRIGGERING = "TRIGGERING"
    TRIGGERED = "TRIGGERED"
    FINISHED = "FINISHED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


class ExecutionType(_WireEnum):
    """Execution type of ``ORDER_TRADE_UPDATE`` (``AMENDMENT``: the order was modified)."""

    NEW = "NEW"
    CANCELED = "CANCELED"
    CALCULATED = "CALCULATED"
    EXPIRED = "EXPIRED"
    TRADE = "TRADE"
    AMENDMENT = "AMENDMENT"


class RateLimitType(_WireEnum):
    """Kind of a rate limiter in ``rateLimits``."""

    REQUEST_WEIGHT = "REQUEST_WEIGHT"
    ORDERS = "ORDERS"


class RateLimitInterval(_WireEnum):
    """Interval unit of a rate limiter."""

    SECOND = "SECOND"
    MINUTE = "MINUTE"
    DAY = "DAY"


class MarginType(_WireEnum):
    """Margin type of a position.

    The wire spells it three ways: ``"isolated"``/``"cross"`` (positions, ``ACCOUNT_UPDATE``) and
    ``"CROSSED"`` (``MARGIN_CALL``). Decoding matches case-insensitively and reads ``CROSSED`` as
    :attr:`CROSS`.
    """

    ISOLATED = "isolated"
    CROSS = "cross"

    @classmethod
    def _missing_(cls, value: object) -> Optional[MarginType]:
        if isinstance(value, str):
            text = value.lower()
            if text == "crossed":
                return cls.CROSS
            for member in cls:
                if member.value == text:
                    return member
        return None


class AccountUpdateReason(_WireEnum):
    """Reason of an ``ACCOUNT_UPDATE`` event (``a.m``)."""

    DEPOSIT = "DEPOSIT"
    WITHDRAW = "WITHDRAW"
    ORDER = "ORDER"
    FUNDING_FEE = "FUNDING_FEE"
    WITHDRAW_REJECT = "WITHDRAW_REJECT"
    ADJUSTMENT = "ADJUSTMENT"
    INSURANCE_CLEAR = "INSURANCE_CLEAR"
    ADMIN_DEPOSIT = "ADMIN_DEPOSIT"
    ADMIN_WITHDRAW = "ADMIN_WITHDRAW"
    MARGIN_TRANSFER = "MARGIN_TRANSFER"
    MARGIN_TYPE_CHANGE = "MARGIN_TYPE_CHANGE"
    ASSET_TRANSFER = "ASSET_TRANSFER"
    OPTIONS_PREMIUM_FEE = "OPTIONS_PREMIUM_FEE"
    OPTIONS_SETTLE_PROFIT = "OPTIONS_SETTLE_PROFIT"
    AUTO_EXCHANGE = "AUTO_EXCHANGE"
    COIN_SWAP_DEPOSIT = "COIN_SWAP_DEPOSIT"
    COIN_SWAP_WITHDRAW = "COIN_SWAP_WITHDRAW"


class StrategyStatus(_WireEnum):
    """Status of a strategy in ``STRATEGY_UPDATE`` / ``GRID_UPDATE``."""

    NEW = "NEW"
    WORKING = "WORKING"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


class TimeUnit(_WireEnum):
    """Unit of the timestamps the server sends and expects."""

    MILLISECOND = "MILLISECOND"
    MICROSECOND = "MICROSECOND"


class DepthLimit(IntEnum):
    """Valid ``limit`` values of the ``depth`` method (an int, not a string)."""

    LIMIT_5 = 5
    LIMIT_10 = 10
    LIMIT_20 = 20
    LIMIT_50 = 50
    LIMIT_100 = 100
    LIMIT_500 = 500
    LIMIT_1000 = 1000
