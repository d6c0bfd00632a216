"""The depth stream's faults and record: what a local order book must survive, injectable.

``LocalExchange.depth`` (a :class:`DepthFaults`) sits between the engine's book changes and the
``<symbol>@depth`` streams, and beside the WS API ``depth`` method:

* ``skip_next(symbol)`` — the next diff is never sent: the one after it has a ``pu`` that is
  not the ``u`` the client applied last (a missing diff);
* ``duplicate_next(symbol, copies)`` — the next diff is sent ``copies`` times;
* ``hold(symbol)`` / ``release(symbol)`` — diffs are kept back, then sent in order: meanwhile
  a ``depth`` snapshot is newer than the stream;
* ``stale_snapshot(symbol)`` — the book as it is now is what the next ``depth`` of ``symbol``
  answers, whenever it comes: a snapshot older than the stream;
* a drop is ``faults.drop_connections("stream")``.

``book(symbol)`` is the book as last published on the stream (its ``u`` and levels) and
``book_at(symbol, u)`` the one published with update id ``u`` (the latest 256 are kept):
what a client's local book must equal, level for level, at the same update id.
``publish_changes()`` sends what changed in the books at once (instead of at the next tick).
"""

from __future__ import annotations

import collections
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Optional

if TYPE_CHECKING:
    from ._server import Server

__all__ = ["DepthFaults", "PublishedBook"]

#: ``(u, bids best first, asks best first)``
PublishedBook = tuple[int, list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]
_KEPT = 256


class DepthFaults:
    """Depth-stream faults and the record of published books (see the module docstring).

    Every public method may be called from any thread and takes effect before it returns.
    """

    def __init__(self, server: Server) -> None:
        self._server = server
        self._skip: dict[str, int] = {}
        self._copies: dict[str, int] = {}
        self._held: dict[str, list[dict[str, Any]]] = {}
        self._stale: dict[str, dict[str, Any]] = {}
        self._history: dict[str, collections.deque[PublishedBook]] = {}
        #: Diffs not sent because of ``skip_next`` (their ``u``), by symbol.
        self.skipped: dict[str, list[int]] = collections.defaultdict(list)

    def _call(self, fn: Callable[[], Any]) -> Any:
        return self._server.call(fn)

    # ------------------------------------------------------------------ faults

    def skip_next(self, symbol: str, count: int = 1) -> None:
        """Never send the next ``count`` diffs of ``symbol``."""
        self._call(lambda: self._skip.__setitem__(symbol, self._skip.get(symbol, 0) + count))

    def duplicate_next(self, symbol: str, copies: int = 2) -> None:
        """Send the next diff of ``symbol`` ``copies`` times in a row."""
        self._call(lambda: self._copies.__setitem__(symbol, copies))

    def hold(self, symbol: str) -> None:
        """Keep the diffs of ``symbol`` back until :meth:`release`."""
        self._call(lambda: self._held.setdefault(symbol, []))

    def held(self, symbol: str) -> int:
        """How many diffs of ``symbol`` are held back now."""
        return int(self._call(lambda: len(self._held.get(symbol, ()))))

    def release(self, symbol: str) -> int:
        """Send the held diffs of ``symbol`` in order, stop holding; returns how many."""

        async def run() -> int:
            events = self._held.pop(symbol, [])
            hub = self._server.market
            conns: set[Any] = set()
            for event in events:
                conns.update(hub.publish_depth(symbol, event))
            await self._server.flush(list(conns))
            return len(events)

        return int(self._server.call_async(run()))

    def stale_snapshot(self, symbol: str, replace: Optional[dict[str, Any]] = None) -> int:
        """Answer the next ``depth`` of ``symbol`` with its book as it is now; returns its
        ``lastUpdateId``. ``replace`` sets fields of that reply (an odd or unreadable
        snapshot: e.g. ``{"bids": [["1.0", "-1"]]}`` or ``{"lastUpdateId": "x"}``)."""

        def arm() -> int:
            hub = self._server.market
            assert hub.engine is not None
            book = hub.engine.book(symbol)
            self._stale[symbol] = {
                "lastUpdateId": book.update_id,
                "bids": [[book.fmt_price(p), book.fmt_qty(q)] for p, q in book.levels("BUY", 1000)],
                "asks": [
                    [book.fmt_price(p), book.fmt_qty(q)] for p, q in book.levels("SELL", 1000)
                ],
                **(replace or {}),
            }
            return book.update_id

        return int(self._call(arm))

    def clear(self) -> None:
        """Remove every pending depth fault (held diffs are dropped, not sent)."""

        def run() -> None:
            self._skip.clear()
            self._copies.clear()
            self._held.clear()
            self._stale.clear()

        self._call(run)

    # ------------------------------------------------------------------ record

    def book(self, symbol: str) -> Optional[PublishedBook]:
        """The book of ``symbol`` as last published on the depth stream (None before)."""
        return self._call(lambda: (self._history.get(symbol) or [None])[-1])  # type: ignore[no-any-return]

    def book_at(self, symbol: str, update_id: int) -> Optional[PublishedBook]:
        """The book of ``symbol`` published with ``u == update_id`` (None if not kept)."""

        def find() -> Optional[PublishedBook]:
            for entry in self._history.get(symbol, ()):
                if entry[0] == update_id:
                    return entry
            return None

        return self._call(find)  # type: ignore[no-any-return]

    def publish_changes(self) -> None:
        """Publish what changed in the engine's books now, and wait until it is written."""

        async def run() -> None:
            self._server.market.after_change()
            await self._server.flush(self._server.select("stream"))

        self._server.call_async(run())

    # ------------------------------------------------------------------ hooks (loop thread)

    def deliver(
        self,
        symbol: str,
        event: dict[str, Any],
        bids: dict[Decimal, Decimal],
        asks: dict[Decimal, Decimal],
    ) -> list[dict[str, Any]]:
        """Record a new diff of ``symbol``; return the diffs to send now."""
        self.record(symbol, event["u"], bids, asks)
        if self._skip.get(symbol):
            self._skip[symbol] -= 1
            self.skipped[symbol].append(event["u"])
            return []
        copies = self._copies.pop(symbol, 1)
        if symbol in self._held:
            self._held[symbol] += [event] * copies
            return []
        return [event] * copies

    def record(
        self, symbol: str, u: int, bids: dict[Decimal, Decimal], asks: dict[Decimal, Decimal]
    ) -> None:
        """Keep the book of ``symbol`` as published with update id ``u``."""
        history = self._history.setdefault(symbol, collections.deque(maxlen=_KEPT))
        history.append((u, list(bids.items()), list(asks.items())))

    def snapshot(self, symbol: str) -> Optional[dict[str, Any]]:
        """The armed stale snapshot of ``symbol`` for this ``depth`` request (once)."""
        return self._stale.pop(symbol, None)
