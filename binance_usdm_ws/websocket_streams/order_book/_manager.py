"""``LocalOrderBooks`` (the books of one ``local_order_books`` call, a read-only mapping) and
the client's ``OrderBookManager``, which makes feeds and books and shares one scheduler.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Optional, Union

from ..._core._params import USE_CLIENT_DEFAULT, Timeout
from ...errors import InvalidRequest
from ..market._builders import PublicApi
from ..market._enums import DepthUpdateSpeed

if TYPE_CHECKING:
    from ...websocket_api._websocket_api import WebsocketApi
    from ..market._client import WebsocketStreams


from ._book import LocalOrderBook
from ._feed import _Feed
from ._items import BookNotSynced, BookRefused
from ._scheduler import DEPTH_WEIGHT, SnapshotScheduler

__all__ = ["LocalOrderBooks", "OrderBookManager"]


class LocalOrderBooks(Mapping[str, LocalOrderBook]):
    """The books of one ``client.local_order_books([...])`` call, by symbol (upper case).

    One acknowledged subscription on shared ``/public`` sockets, one thread that updates them,
    and the client's one snapshot scheduler. ``synced_count`` and :meth:`wait_synced` show the
    progress; :meth:`close` ends them all.
    """

    def __init__(self, books: list[LocalOrderBook], feed: _Feed) -> None:
        self._books = {b.symbol: b for b in books}
        self._feed = feed

    def __getitem__(self, symbol: str) -> LocalOrderBook:
        return self._books[symbol.upper()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._books)

    def __len__(self) -> int:
        return len(self._books)

    @property
    def synced_count(self) -> int:
        """How many of the books are synced now."""
        return sum(1 for b in self._books.values() if b.synced)

    def wait_synced(self, timeout: Optional[float] = None) -> LocalOrderBooks:
        """Block until every book is synced; returns self.

        Raises:
            BookRefused: the exchange refused a book (e.g. -1121 for an unknown symbol): at
                once, whatever the others do (they go on syncing; read them by symbol).
            BookNotSynced: a book was not synced in time (its ``symbol``; the message says how
                many were).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        books = list(self._books.values())
        while True:
            for book in books:
                refusal = book._refusal
                if refusal is not None:
                    raise BookRefused(
                        book.symbol,
                        refusal.error,
                        f"the {book.symbol} order book (one of {len(self)}) was refused: "
                        f"status {refusal.status}, code {refusal.code}: {refusal.msg}",
                    ) from refusal.error
            waiting = next((book for book in books if not book.synced), None)
            if waiting is None:
                return self
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                # In slices: a refusal of another book is noticed within 0.1 s.
                waiting.wait_synced(0.1 if remaining is None else min(remaining, 0.1))
            except BookRefused:
                continue
            except BookNotSynced as exc:
                late = deadline is not None and time.monotonic() >= deadline
                if exc.reason == "closed" or late:
                    raise BookNotSynced(
                        waiting.symbol,
                        exc.reason,
                        f"{self.synced_count} of {len(self)} order books synced within "
                        f"{timeout} s; {waiting.symbol} is not ({exc.reason})",
                    ) from None

    def close(self) -> None:
        """Close every book and unsubscribe. Idempotent."""
        self._feed.close()

    def __enter__(self) -> LocalOrderBooks:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<LocalOrderBooks {self.synced_count}/{len(self)} synced>"


class OrderBookManager:
    """A client's local order books: their feeds and the one snapshot scheduler."""

    def __init__(self, streams: WebsocketStreams, api: WebsocketApi) -> None:
        self._streams = streams
        self._api = api
        self.scheduler = SnapshotScheduler(api)
        self._feeds: list[_Feed] = []
        self._lock = threading.Lock()
        self._closed = False

    def open(
        self,
        symbols: Iterable[str],
        limit: int = 1000,
        levels: Optional[int] = None,
        update_speed: Union[DepthUpdateSpeed, str] = DepthUpdateSpeed.UPDATE_SPEED_100ms,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> LocalOrderBooks:
        """Subscribe the depth streams of ``symbols`` (acknowledged), then sync each book."""
        if isinstance(symbols, str):
            raise InvalidRequest("symbols: expected a list of symbols, got a str", param="symbols")
        if isinstance(limit, bool) or int(limit) not in DEPTH_WEIGHT:
            raise InvalidRequest(
                f"limit: {limit!r} is not one of {sorted(DEPTH_WEIGHT)}", param="limit"
            )
        limit = int(limit)
        keep = limit if levels is None else levels
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise InvalidRequest(f"levels: expected a positive int, got {levels!r}", param="levels")
        names: dict[str, str] = {}
        for symbol in symbols:
            builder = PublicApi().diff_book_depth_streams().symbol(symbol)
            names[str(symbol).upper()] = builder.update_speed(update_speed).stream_name()
        if not names:
            raise InvalidRequest("symbols: at least one symbol is needed", param="symbols")
        if self._closed:
            raise InvalidRequest("the client is closed")
        if not self._api.connected:
            self._api.connect()
        queue = self._streams._config.queue_size
        books = [LocalOrderBook(self, s, limit, keep, queue) for s in names]
        feed = _Feed(books)
        handle = self._streams.subscribe_names(list(names.values()), None, timeout)  # acked
        feed.start(handle)
        with self._lock:
            self._feeds.append(feed)
        for book in books:  # only now: the stream is live before any snapshot is asked for
            self.scheduler.request(book, resync=False)
        return LocalOrderBooks(books, feed)

    def close(self) -> None:
        """Close every book, feed and the scheduler. Idempotent."""
        self._closed = True
        self.scheduler.close()
        with self._lock:
            feeds, self._feeds = self._feeds, []
        for feed in feeds:
            feed.close()
