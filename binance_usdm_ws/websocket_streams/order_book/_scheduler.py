"""``SnapshotScheduler``: the ``depth`` snapshots of a client's books over the WS API —
resyncs before first syncs, several in flight, within a share of the ``REQUEST_WEIGHT``
limit the replies' ``rateLimits`` report, and never past the ceiling that leaves weight for
the user's own calls.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import random
import threading
import time
from collections import deque
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Optional

from ...errors import BinanceWsError, RateLimited, ServerError

if TYPE_CHECKING:
    from ...websocket_api._requests import Response
    from ...websocket_api._websocket_api import WebsocketApi
    from ._book import LocalOrderBook


from ._items import _definite

__all__ = []

logger = logging.getLogger("binance_usdm_ws")

#: Weight of ``depth`` by ``limit`` (Binance's table; the same over REST and the WS API).
DEPTH_WEIGHT = {5: 2, 10: 2, 20: 2, 50: 2, 100: 5, 500: 10, 1000: 20}
_SECONDS = {"SECOND": 1.0, "MINUTE": 60.0, "HOUR": 3600.0, "DAY": 86400.0}
_MAX_IN_FLIGHT = 8
#: Never let the whole REQUEST_WEIGHT count (the user's calls included) pass this fraction.
_CEILING = 0.9


class SnapshotScheduler:
    """Every ``depth`` snapshot of a client's books: one queue, one weight budget.

    Resyncs go before first syncs (FIFO within each). Requests are sent concurrently (up to 8
    in flight) as long as the snapshots' own weight over the last window stays within
    ``weight_share`` of the ``REQUEST_WEIGHT`` limit, and the window's whole count (the user's
    calls included, from the latest reply) stays below 90 % of it. The limit and the window
    come from the replies' ``rateLimits``; until the first reply, one request at a time. A
    failed request (disconnected, timed out, 429) is retried after a backoff (0.5 s doubling
    up to 30 s, ±25 %) or, after a 429/418 with ``retryAfter``, never before that time (up
    to 25 % after it) — never fatal.

    Attributes:
        weight_share: Fraction of the ``REQUEST_WEIGHT`` limit the snapshots may use (0.5).
        limit: The ``REQUEST_WEIGHT`` limit learned from ``rateLimits`` (None before).
        window: Its window in seconds (60 for Binance's per-minute limit).
        sent: Snapshot requests sent.
        rate_limited: 429/418 answers received (the budget should make this stay 0).
    """

    def __init__(self, api: WebsocketApi, weight_share: float = 0.5) -> None:
        self._api = api
        self.weight_share = weight_share
        self.limit: Optional[int] = None
        self.window = 60.0
        self.sent = 0
        self.rate_limited = 0
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[int, int, LocalOrderBook]] = []
        self._seq = itertools.count()
        self._log: deque[tuple[float, int]] = deque()  # (sent at, weight) of recent snapshots
        self._count = 0  # the window's whole count, from the latest reply
        self._count_at = 0.0
        self._in_flight = 0
        self._pause_until = 0.0
        self._backoff = 0.5
        self._stop = False
        self._thread: Optional[threading.Thread] = None

    def request(self, book: LocalOrderBook, resync: bool) -> None:
        """Queue a snapshot of ``book`` (once: a queued book is not queued again)."""
        with self._cond:
            if book._queued or self._stop:
                return
            book._queued = True
            heapq.heappush(self._heap, (0 if resync else 1, next(self._seq), book))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="binance-usdm-ws-book-snapshots", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    @property
    def queued(self) -> int:
        """Books waiting for a snapshot request to be sent."""
        return len(self._heap)

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._heap.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _wait_needed(self, weight: int, now: float) -> float:
        """Seconds to wait before a request of ``weight`` fits (0: now). Lock held."""
        if now < self._pause_until:
            return self._pause_until - now
        if self._in_flight >= _MAX_IN_FLIGHT:
            return 1.0  # woken by a reply
        if self.limit is None:
            return 0.0 if self._in_flight == 0 else 1.0  # learn the limit from one reply first
        span = self.window + min(1.0, self.window * 0.1)  # sliding, with a margin for latency
        log = self._log
        while log and log[0][0] <= now - span:
            log.popleft()
        budget = int(self.limit * self.weight_share)
        used = sum(w for _, w in log)
        if used + weight > max(budget, weight):
            return log[0][0] + span - now if log else 1.0
        if now - self._count_at < self.window:
            since = sum(w for t, w in log if t >= self._count_at)
            if self._count + since + weight > self.limit * _CEILING:
                return self._count_at + self.window - now  # that window has ended by then
        return 0.0

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stop:
                        return
                    if self._heap:
                        book = self._heap[0][2]
                        now = time.monotonic()
                        wait = self._wait_needed(DEPTH_WEIGHT[book.limit], now)
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
                _, _, book = heapq.heappop(self._heap)
                book._queued = False
                if book._reason in ("closed", "refused") or book._synced:
                    continue
                weight = DEPTH_WEIGHT[book.limit]
                self._log.append((time.monotonic(), weight))
                self._in_flight += 1
                self.sent += 1
            generation = book._generation
            try:
                future = (
                    self._api.market_data_api.order_book()
                    .symbol(book.symbol)
                    .limit(book.limit)
                    .execute_async()
                )
            except BinanceWsError as exc:
                future = Future()
                future.set_exception(exc)
            future.add_done_callback(functools.partial(self._done, book, generation))

    def _done(self, book: LocalOrderBook, generation: int, future: Future[Response[Any]]) -> None:
        error = future.exception()
        definite = error is not None and _definite(error)
        with self._cond:
            self._in_flight -= 1
            if error is None:
                self._learn(future.result().raw.get("rateLimits"))
                self._backoff = 0.5
            elif not definite:  # a refusal of one book is no reason to slow the others
                if isinstance(error, RateLimited):
                    self.rate_limited += 1
                retry = getattr(error, "retry_after", None)
                if isinstance(retry, (int, float)) and retry > 0:  # never before the server's
                    pause = retry * (1 + random.random() / 4)  # time (0 to 25 % later)
                else:
                    pause = self._backoff * (0.75 + random.random() / 2)  # ±25 %
                self._pause_until = time.monotonic() + pause
                self._backoff = min(self._backoff * 2, 30.0)
            self._cond.notify_all()
        feed = book._feed
        if error is None:
            if feed is not None:
                reply = future.result()
                feed.post(lambda: book._on_snapshot(generation, reply))
        elif definite:
            assert isinstance(error, ServerError)
            book._report(error)
            if feed is not None:
                feed.post(lambda: book._refuse(generation, error))
        else:
            logger.warning("depth snapshot of %s failed: %s", book.symbol, error)
            book._report(error)
            if feed is not None:
                feed.post(lambda: self._retry(book, generation))

    def _retry(self, book: LocalOrderBook, generation: int) -> None:
        if generation == book._generation and not book._synced and book._refusal is None:
            if book._reason == "closed":
                return
            self.request(book, resync=True)

    def _learn(self, limits: Any) -> None:
        for entry in limits if isinstance(limits, list) else ():
            if isinstance(entry, dict) and entry.get("rateLimitType") == "REQUEST_WEIGHT":
                limit, count = entry.get("limit"), entry.get("count")
                unit = _SECONDS.get(str(entry.get("interval")))
                num = entry.get("intervalNum")
                if isinstance(limit, int) and limit > 0:
                    self.limit = limit
                if unit is not None and isinstance(num, int) and num > 0:
                    self.window = unit * num
                if isinstance(count, int):
                    self._count, self._count_at = count, time.monotonic()
                return
