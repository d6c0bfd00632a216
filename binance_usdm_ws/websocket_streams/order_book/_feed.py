"""The feed of a ``local_order_books`` call: one acknowledged diff-depth subscription for all
its symbols and the one thread that applies its events to its books, in order.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Optional

from ..._core._stream_delivery import StreamGap

if TYPE_CHECKING:
    from ..market._handle import StreamHandle
    from ._book import LocalOrderBook


__all__ = []

logger = logging.getLogger("binance_usdm_ws")

_WAKE: dict[str, Any] = {"wake": True}  # posted into a feed's queue: run the posted work


class _Feed:
    """One acknowledged depth subscription of some books, and the thread that updates them."""

    def __init__(self, books: list[LocalOrderBook]) -> None:
        self._books = {b.symbol: b for b in books}
        self._posts: deque[Callable[[], None]] = deque()
        self._handle: Optional[StreamHandle[Any]] = None
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def start(self, handle: StreamHandle[Any]) -> None:
        self._handle = handle
        for book in self._books.values():
            book._feed = self
        self._thread = threading.Thread(
            target=self._run, name=f"binance-usdm-ws-books-{next(_numbers)}", daemon=True
        )
        self._thread.start()

    def post(self, work: Callable[[], None]) -> None:
        """Run ``work`` in the feed's thread, in order with the stream's items."""
        handle = self._handle
        if handle is not None:
            self._posts.append(work)
            handle._push(_WAKE)

    def _run(self) -> None:
        handle = self._handle
        assert handle is not None
        books = self._books
        posts = self._posts
        while True:
            item = handle.get_raw(timeout=1.0)
            if item is None or item is _WAKE:  # work posted by the scheduler (snapshots)
                while posts:
                    work = posts.popleft()
                    try:
                        work()
                    except Exception:  # pragma: no cover - a bug must not stop the books
                        # pragma: no mutate block - a safety net that no test can reach
                        logger.exception("order books: posted work failed")
                if item is None and not handle.subscribed:
                    return
                continue
            if type(item) is dict:
                book = books.get(item.get("s"))  # type: ignore[arg-type]
                if book is None or item.get("e") != "depthUpdate":
                    continue
                if not all(type(item.get(k)) is int for k in ("U", "u", "pu")):
                    book._resync("invalid", "a depth event without integer U, u and pu")
                    continue
                try:
                    book._on_event(item)
                except Exception as exc:  # pragma: no cover - a bug must not stop the books
                    # pragma: no mutate block - a safety net that no test can reach
                    logger.exception("order book %s: event failed", book.symbol)
                    book._resync("invalid", f"unexpected error: {exc!r}")
            elif isinstance(item, StreamGap):
                for book in list(books.values()):
                    book._on_gap(item)

    def remove(self, book: LocalOrderBook) -> None:
        with self._lock:
            gone = self._books.pop(book.symbol, None) is not None
            last = gone and not self._books
        if last:
            self.close()

    def close(self) -> None:
        handle, thread = self._handle, self._thread
        if handle is not None:
            handle.unsubscribe()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self._posts.clear()
        for book in list(self._books.values()):
            book._closed_state()


_numbers = itertools.count(1)
