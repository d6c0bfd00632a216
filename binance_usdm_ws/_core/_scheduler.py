"""One timer thread per client: request deadlines, keepalives, rotation.

``call_later`` pushes onto a heap; the thread sleeps until the earliest deadline. It is woken
only when a new deadline is earlier than the one it sleeps for, so the common case (every
request adds a deadline later than the head) costs a heap push and no context switch.
Callbacks run in the scheduler thread and must be short; long work starts its own thread.

The thread lives only while it has something to serve. Its users — the WS API connection and
each user data stream — ``attach`` while they are open and ``detach`` when they close; the
thread starts with the first timer and ends once no user is attached and no timer is pending.
A later ``call_later`` starts it again, so a client can connect again after
``close_websocket_connection()``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Any, Callable, Optional

__all__ = ["Scheduler", "TimerHandle"]

logger = logging.getLogger("binance_usdm_ws")


class TimerHandle:
    """A scheduled call; ``cancel()`` makes it a no-op."""

    __slots__ = ("when", "fn", "args", "cancelled")

    def __init__(self, when: float, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.when = when
        self.fn = fn
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        """Cancel the call if it has not run yet."""
        self.cancelled = True


class Scheduler:
    """A heap of timers served by one daemon thread, started on demand, ended when idle."""

    def __init__(self, name: str = "binance-usdm-ws-timer") -> None:
        self._name = name
        self._heap: list[tuple[float, int, TimerHandle]] = []
        self._counter = itertools.count()
        self._cond = threading.Condition(threading.Lock())
        self._thread: Optional[threading.Thread] = None  # the latest one started
        self._serving = False  # True from the thread's start until it decides to end
        self._owners: dict[int, object] = {}  # by identity; held, so an id is not reused
        self._closed = False

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``fn(*args)`` in the scheduler thread after ``delay`` seconds."""
        handle = TimerHandle(time.monotonic() + delay, fn, args)
        with self._cond:
            if self._closed:
                handle.cancelled = True
                return handle
            heap = self._heap
            wake = not heap or handle.when < heap[0][0]
            heapq.heappush(heap, (handle.when, next(self._counter), handle))
            if not self._serving:
                self._serving = True
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            elif wake:
                self._cond.notify()
        return handle

    def attach(self, owner: object) -> None:
        """Count ``owner`` as a user: the thread, once started, stays while it is attached."""
        with self._cond:
            self._owners[id(owner)] = owner

    def detach(self, owner: object) -> None:
        """``owner`` is done: cancel its timers (calls of its own methods). Idempotent.

        The thread ends once no user is attached and no timer is pending; ``join_idle``
        waits for that (call it outside the owner's own locks).
        """
        with self._cond:
            self._owners.pop(id(owner), None)
            for _, _, handle in self._heap:
                if getattr(handle.fn, "__self__", None) is owner:
                    handle.cancelled = True
            self._cond.notify()

    def _run(self) -> None:
        heap = self._heap
        while True:
            with self._cond:
                while True:
                    while heap and heap[0][2].cancelled:
                        heapq.heappop(heap)
                    if self._closed or not (heap or self._owners):
                        # Nothing left to serve: end; call_later starts a new thread.
                        self._serving = False
                        return
                    if heap:
                        delay = heap[0][0] - time.monotonic()
                        if delay <= 0:
                            handle = heapq.heappop(heap)[2]
                            break
                        self._cond.wait(delay)
                    else:
                        self._cond.wait()
            try:
                handle.fn(*handle.args)
            except Exception:
                logger.exception("timer callback failed")

    def join_idle(self, timeout: Optional[float]) -> None:
        """If nothing is left to serve, wait up to ``timeout`` seconds for the thread to end."""
        with self._cond:
            idle = not self._owners and all(entry[2].cancelled for entry in self._heap)
            thread = self._thread
        if idle and thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        """True while the thread is alive (for diagnostics and tests)."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called: the scheduler runs nothing any more."""
        return self._closed

    def close(self) -> None:
        """Stop the thread for good (pending timers are dropped) and join it. Idempotent."""
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._owners.clear()
            self._cond.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
