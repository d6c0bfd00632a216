"""What a local order book hands out — levels, snapshots, updates, resyncs — and its two
errors: ``BookNotSynced`` (a read while it is not in sync) and ``BookRefused`` (Binance
refused its symbol or subscription for good).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple, Optional, Union

import attrs

from ..._core._stream_delivery import StreamGap
from ...errors import BadRequest, BinanceWsError, ServerError

if TYPE_CHECKING:
    pass


__all__ = ["BookNotSynced", "BookRefused", "BookResync", "BookSnapshot", "BookUpdate", "Level"]

_BookItem = Union["BookUpdate", "BookResync", StreamGap]


class Level(NamedTuple):
    """One price level: ``(price, quantity)``, both exact ``Decimal``."""

    price: Decimal
    quantity: Decimal


Levels = tuple[Level, ...]


class BookNotSynced(BinanceWsError):
    """A read of a local order book that is not synced (yet, or any more).

    Attributes:
        symbol: The book's symbol.
        reason: Why it is not synced: ``"syncing"`` (never synced yet), or the reason of the
            latest :class:`BookResync` (``"gap"``, ``"reconnect"``, ``"overflow"``,
            ``"crossed"``, ``"horizon"``, ``"invalid"``), ``"refused"`` (see
            :class:`BookRefused`), or ``"closed"``.
    """

    def __init__(self, symbol: str, reason: str, message: str = "") -> None:
        super().__init__(message or f"the {symbol} order book is not synced ({reason})")
        self.symbol = symbol
        self.reason = reason


#: Codes of a 400 answer that may pass (the request itself was fine): retried, never final.
_TRANSIENT_CODES = frozenset({-1000, -1001, -1003, -1006, -1007, -1008, -1015, -1021})


def _definite(error: BaseException) -> bool:
    """Whether a failed ``depth`` request says the book can never sync (e.g. -1121)."""
    return isinstance(error, BadRequest) and error.code not in _TRANSIENT_CODES


class BookRefused(BookNotSynced):
    """The exchange refused the book for good: it will never sync and is not retried.

    Raised at once by :meth:`LocalOrderBook.wait_synced` and the reads of a book whose ``depth``
    snapshot was answered with a definite error, e.g. ``-1121 Invalid symbol.`` for a symbol
    the exchange does not list (``reason`` is ``"refused"``). A ``SUBSCRIBE`` the server rejects
    fails the ``local_order_book(s)`` call itself, with ``SubscriptionRejected``.

    Attributes:
        status: The answer's HTTP-like status (400).
        code: Binance's error code (e.g. -1121).
        msg: Binance's message (e.g. ``"Invalid symbol."``).
        error: The error the ``depth`` request raised (a ``BadRequest``).
    """

    def __init__(self, symbol: str, error: ServerError, message: str = "") -> None:
        super().__init__(
            symbol,
            "refused",
            message
            or f"the {symbol} order book was refused: status {error.status}, "
            f"code {error.code}: {error.msg}",
        )
        self.error = error
        self.status = error.status
        self.code = error.code
        self.msg = error.msg


@attrs.frozen
class BookSnapshot:
    """One consistent copy of a book: both sides as of ``last_update_id``.

    Attributes:
        symbol: Symbol.
        last_update_id: Update id of the book (``u`` of the last applied event, or the
            snapshot's ``lastUpdateId``).
        event_time: Event time (``E``, ms) of the last applied event or snapshot.
        transaction_time: Transaction time (``T``, ms) of the last applied event or snapshot.
        bids: Bid levels, best (highest) first.
        asks: Ask levels, best (lowest) first.
    """

    symbol: str
    last_update_id: int
    event_time: Optional[int]
    transaction_time: Optional[int]
    bids: Levels
    asks: Levels


@attrs.frozen
class BookUpdate:
    """What one applied diff event (or a loaded snapshot) changed in a book.

    Attributes:
        symbol: Symbol.
        first_update_id: ``U`` of the event (the snapshot's ``lastUpdateId`` for a snapshot).
        last_update_id: ``u`` of the event: the book's update id now.
        previous_update_id: ``pu`` of the event (``None`` for a snapshot).
        event_time: ``E`` (ms).
        transaction_time: ``T`` (ms).
        bids: Changed bid levels with their new absolute quantity (0: removed).
        asks: Changed ask levels likewise.
        snapshot: True when the book was (re)loaded: ``bids``/``asks`` are then the whole
            book, and the first update after a ``BookResync`` is always one.
    """

    symbol: str
    first_update_id: int
    last_update_id: int
    previous_update_id: Optional[int]
    event_time: Optional[int]
    transaction_time: Optional[int]
    bids: Levels
    asks: Levels
    snapshot: bool = False


@attrs.frozen
class BookResync:
    """The book was marked unsynced and is being synced again on the same subscription.

    Reads raise :class:`BookNotSynced` until a ``BookUpdate`` with ``snapshot=True`` follows.

    Attributes:
        symbol: Symbol.
        reason: ``"gap"`` (an event's ``pu`` was not the last applied ``u``),
            ``"reconnect"`` / ``"overflow"`` (a ``StreamGap`` of the stream, delivered just
            before), ``"crossed"`` (best bid ≥ best ask after a whole event), ``"horizon"``
            (fewer than half the kept levels are still known after the market moved),
            ``"invalid"`` (an event that could not be read).
        detail: Human-readable detail.
        expected: For ``"gap"``: the ``pu`` expected (the last applied ``u``).
        got: For ``"gap"``: the ``pu`` received.
    """

    symbol: str
    reason: str
    detail: str = ""
    expected: Optional[int] = None
    got: Optional[int] = None
