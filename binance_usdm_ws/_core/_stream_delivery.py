"""What a stream hands its consumer: typed events and ``StreamGap`` notices, in arrival order.

Between the socket and the user sits one bounded buffer guarded by the stream's lock:

* the producers — socket reader threads — only *append*. An append is O(1) and never waits:
  when the buffer holds ``queue_size`` raw messages, the oldest raw message is dropped and
  counted, so a slow consumer can never stall a reader (and with it the answers to the
  server's pings);
* the consumer — the user's thread iterating the stream, or the stream's delivery thread that
  runs the callbacks — pops, decodes into typed events (in its own thread, never the reader's)
  and dispatches. It takes up to 32 items per acquisition of the lock (at most 1/16 of
  ``queue_size``; one at a time below 32); taken items are the consumer's, still counted by
  ``pending`` but no longer by ``queue_size``, and come before anything appended after them.

Overflow policy: dropped messages are never lost silently. The consumer receives, at the
place where they were, one ``StreamGap(reason="overflow", dropped=n)`` whose ``start``/``end``
are the event times of the first and last dropped message; it should then reconcile (query
open orders, positions and balances). Notices (gaps, errors) are never dropped and do not
count toward ``queue_size``.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any, Callable, Generic, Optional, TypeVar

import attrs

from ..errors import DecodeError, InvalidRequest
from ._models import UnknownEvent

__all__ = ["StreamConsumer", "StreamGap"]

logger = logging.getLogger("binance_usdm_ws")

E = TypeVar("E")
#: What a consumer yields: the decoder's typed item, or a ``StreamGap``.
ItemT = TypeVar("ItemT")


@attrs.define(frozen=True)
class StreamGap:
    """A period during which events of a stream may have been lost: reconcile after it.

    It arrives in the stream, in order, right where the missing events would have been.
    After one, query what may have changed (``account_information()``, open orders,
    ``query_order()`` by client order id) instead of trusting a state built from events.

    Attributes:
        reason: why events may be missing:

            * ``"reconnect"`` — the socket dropped or fell silent and was reconnected;
            * ``"listen_key_expired"`` — the listenKey expired (a ``listenKeyExpired``
              event, or ``-1125`` to a keepalive); a new key was started and connected;
            * ``"overflow"`` — the consumer fell behind and ``dropped`` messages were
              discarded (the oldest first);
            * ``"silent"`` — one market stream sent nothing for longer than its cadence allows
              (``StreamSilent`` said so) and is back: from its last frame to this one.
        start: epoch **milliseconds** from which events may be missing: the last frame
            received before a drop, the expiry time, or the event time (``E``) of the first
            dropped message.
        end: epoch milliseconds when delivery resumed (the new socket was open), or the
            event time of the last dropped message.
        dropped: exact number of discarded messages for ``"overflow"``; 0 for the other
            reasons, where what the server sent during the outage is unknown.
        detail: a human-readable cause (never contains a listenKey).
    """

    reason: str
    start: int
    end: int
    dropped: int = 0
    detail: str = ""

    @property
    def duration(self) -> float:
        """Length of the gap in seconds."""
        return max(0, self.end - self.start) / 1000.0


def now_ms() -> int:
    """The local wall clock in epoch milliseconds."""
    return int(time.time() * 1000)


class _Notice:
    """A gap or an error in the buffer (distinguished from raw messages by its type)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


_EMPTY = object()
#: Most items a consumer takes from the buffer under one acquisition of the lock.
_BATCH = 32


def _event_time(message: Any) -> int:
    if type(message) is dict:
        value = message.get("E")
        if type(value) is int:
            return value
        if type(value) is str and value.isdigit():
            return int(value)
    return now_ms()


class _Buffer:
    """Raw messages and notices in arrival order. Not thread-safe: the stream's lock guards it."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize  # 0: unbounded
        self.items: collections.deque[Any] = collections.deque()
        self.front: collections.deque[_Notice] = collections.deque()  # popped before items
        self.raw = 0  # raw messages in `items`
        self.dropped = 0  # dropped since the last overflow gap was handed out
        self.first_drop = 0
        self.last_drop = 0
        self.total_dropped = 0

    def __len__(self) -> int:
        return len(self.items) + len(self.front) + (1 if self.dropped else 0)

    def push_raw(self, message: Any) -> None:
        if self.maxsize and self.raw >= self.maxsize:
            self._drop_oldest()
        self.items.append(message)
        self.raw += 1

    def push_notice(self, value: Any) -> None:
        self.items.append(_Notice(value))

    def _drop_oldest(self) -> None:
        items = self.items
        # Notices ahead of the oldest raw message keep their place: they move to `front`,
        # after the overflow gap of the messages dropped before them, if any.
        while type(items[0]) is _Notice:
            if self.dropped:
                self.front.append(_Notice(self._overflow_gap()))
            self.front.append(items.popleft())
        t = _event_time(items.popleft())
        self.raw -= 1
        if not self.dropped:
            self.first_drop = t
        self.last_drop = t
        self.dropped += 1
        self.total_dropped += 1

    def _overflow_gap(self) -> StreamGap:
        gap = StreamGap(
            reason="overflow",
            start=self.first_drop,
            end=self.last_drop,
            dropped=self.dropped,
            detail=f"consumer too slow: {self.dropped} message(s) dropped (queue_size "
            f"{self.maxsize})",
        )
        self.dropped = 0
        return gap

    def pop(self) -> Any:
        if self.front:
            return self.front.popleft()
        if self.dropped:
            return _Notice(self._overflow_gap())
        if self.items:
            item = self.items.popleft()
            if type(item) is not _Notice:
                self.raw -= 1
            return item
        return _EMPTY


class StreamConsumer(Generic[ItemT]):
    """The consuming half of a stream: the buffer, iteration, callbacks and the delivery thread.

    Use one form per stream: iterate it (``for item in stream``, ``stream.get(timeout)``), or
    register ``on``/``on_any`` callbacks, which a delivery thread of the stream calls.
    ``on_error`` handlers work with both forms; they run in the consuming thread.

    The user data stream and the market stream handles both build on it; ``decode`` turns one
    buffered raw message into its item and runs in the consuming thread.
    """

    def __init__(self, queue_size: int, name: str, decode: Callable[[Any], Any]) -> None:
        self._decode = decode
        self._cond_lock = threading.Lock()
        self._cond = threading.Condition(self._cond_lock)
        #: consumers that started waiting in ``_take`` since the last ``_wake`` (under the lock)
        self._waiting = 0
        self._buffer = _Buffer(queue_size)
        #: Items the consumer took from the buffer in one go and has not returned yet: up to
        #: ``_BATCH`` (at most 1/16 of ``queue_size``), so the lock is taken once per batch.
        self._taken: collections.deque[Any] = collections.deque()
        self._batch = min(_BATCH, queue_size // 16) if queue_size else _BATCH
        self._closed = False  # no more items will be added
        self._name = name
        self._handlers: list[tuple[type[Any], Callable[[Any], Any]]] = []
        self._any_handlers: list[Callable[[Any], Any]] = []
        self._error_handlers: list[Callable[[BaseException], Any]] = []
        self._delivery: Optional[threading.Thread] = None
        self._delivery_wanted = False  # the subclass has started: callbacks may run

    # ------------------------------------------------------------------ producer side

    def _report(self, error: BaseException) -> None:
        """Hand an error to the ``on_error`` handlers, in order with the events."""
        logger.warning("%s: %s", self._name, error)
        with self._cond:
            if not self._closed:
                self._buffer.push_notice(error)
                self._cond.notify_all()

    def _wake(self) -> None:
        """Under the lock, after an append: wake the consumers waiting, once.

        A producer calls it only ``if self._waiting``: a burst appended while the woken
        consumer waits for its turn costs no further ``notify``.
        """
        self._waiting = 0
        self._cond.notify_all()

    @property
    def pending(self) -> int:
        """Items waiting for the consumer (raw messages, notices and a pending overflow gap)."""
        return len(self._buffer) + len(self._taken)

    @property
    def dropped(self) -> int:
        """Raw messages dropped so far because the consumer was too slow (overflow)."""
        return self._buffer.total_dropped

    # ------------------------------------------------------------------ consumer side

    def get(self, timeout: Optional[float] = None) -> Optional[ItemT]:
        """Return the next event or gap, waiting up to ``timeout`` seconds (``None``: forever).

        Returns:
            The item; ``None`` on timeout, or when the stream is closed and nothing is left.

        Raises:
            InvalidRequest: callbacks consume this stream (``on``/``on_any`` were used).
        """
        delivery = self._delivery
        if (
            delivery is not None
            and delivery.is_alive()
            and threading.current_thread() is not delivery
        ):
            raise InvalidRequest(
                "this stream delivers to callbacks (on/on_any); do not also iterate it"
            )
        return self._take(timeout, drain=True)

    def _take(
        self,
        timeout: Optional[float],
        drain: bool,
        resolve: Optional[Callable[[Any], Any]] = None,
    ) -> Optional[ItemT]:
        deadline = None if timeout is None else time.monotonic() + timeout
        taken = self._taken
        while True:
            if taken and (drain or not self._closed):
                try:
                    item = taken.popleft()
                except IndexError:  # another consuming thread emptied it meanwhile
                    continue
                result: Optional[ItemT] = (resolve or self._resolve)(item)
                if result is not None:
                    return result
                continue
            with self._cond_lock:  # the condition's own lock, entered without its wrapper
                while True:
                    if self._closed and not drain:
                        return None
                    item = self._buffer.pop()
                    if item is not _EMPTY:
                        for _ in range(self._batch - 1):  # take more while here
                            more = self._buffer.pop()
                            if more is _EMPTY:
                                break
                            taken.append(more)
                        break
                    if self._closed:
                        return None
                    remaining = None
                    if deadline is not None:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            return None
                    self._waiting += 1  # reset by the producer that wakes it (_wake)
                    self._cond.wait(remaining)
            result = (resolve or self._resolve)(item)
            if result is not None:
                return result

    def _resolve(self, item: Any) -> Any:
        """Decode a raw message, or unwrap a notice; errors go to the handlers (→ None)."""
        if type(item) is _Notice:
            value = item.value
            if isinstance(value, BaseException):
                self._dispatch_error(value)
                return None
            return value  # a gap, or another notice of the stream (``StreamSilent``)
        message = item
        try:
            result: ItemT = self._decode(message)
            return result
        except DecodeError as exc:
            self._dispatch_error(exc)
            if type(message) is dict and "data" in message and "stream" in message:
                message = message["data"]
            if type(message) is dict:
                # Never drop an event: hand it over raw, as an unknown event.
                e, t = message.get("e"), message.get("E")
                return UnknownEvent(
                    event_type=e if type(e) is str else None,
                    event_time=t if type(t) is int else None,
                    raw=message,
                )
            return None

    def __iter__(self) -> StreamConsumer[ItemT]:
        return self

    def __next__(self) -> ItemT:
        item = self.get()
        if item is None:
            raise StopIteration
        return item

    # ------------------------------------------------------------------ callbacks

    def on(self, event_type: type[E], handler: Callable[[E], Any]) -> Callable[[E], Any]:
        """Call ``handler(item)`` for every item that is an instance of ``event_type``.

        ``event_type`` is an event class (``OrderTradeUpdate``) or ``StreamGap``. Handlers run
        in the stream's delivery thread, one item at a time, in arrival order; a slow handler
        delays later items (which then queue up, see the overflow policy) but never the
        socket. Returns ``handler``. An exception it raises goes to the ``on_error`` handlers.
        """
        with self._cond:
            self._handlers.append((event_type, handler))
        self._start_delivery()
        return handler

    def on_any(self, handler: Callable[[ItemT], Any]) -> Callable[[ItemT], Any]:
        """Call ``handler(item)`` for every event and gap (after the ``on`` handlers)."""
        with self._cond:
            self._any_handlers.append(handler)
        self._start_delivery()
        return handler

    def on_error(self, handler: Callable[[BaseException], Any]) -> Callable[[BaseException], Any]:
        """Call ``handler(exc)`` for every problem the stream reports while it keeps running.

        Failed keepalives and reconnect attempts (``ConnectionClosed``, ``ServerError``…),
        messages that are not a JSON object (``DecodeError``) and exceptions raised by
        callbacks. An event with a field that does not fit its model is not an error: it
        arrives typed, that field ``None`` (an optional field), or as an ``UnknownEvent`` with
        its ``raw`` (a field its model says is always there), the problem listed in its
        ``decode_problems``. Runs in the
        consuming thread (the delivery thread, or the thread iterating the stream). Returns
        ``handler``.
        """
        with self._cond:
            self._error_handlers.append(handler)
        return handler

    def _start_delivery(self) -> None:
        with self._cond:
            if (
                self._delivery is not None
                or not self._delivery_wanted
                or self._closed
                or not (self._handlers or self._any_handlers)
            ):
                return
            self._delivery = threading.Thread(
                target=self._deliver_loop, name=f"{self._name}-delivery", daemon=True
            )
            self._delivery.start()

    def _deliver_loop(self) -> None:
        while True:
            item = self._take(None, drain=False)
            if item is None:
                return
            for cls, handler in list(self._handlers):
                if isinstance(item, cls):
                    self._call(handler, item)
            for any_handler in list(self._any_handlers):
                self._call(any_handler, item)

    def _call(self, handler: Callable[[Any], Any], item: Any) -> None:
        try:
            handler(item)
        except Exception as exc:
            logger.exception("%s: callback %r failed", self._name, handler)
            self._dispatch_error(exc)

    def _dispatch_error(self, error: BaseException) -> None:
        for handler in list(self._error_handlers):
            try:
                handler(error)
            except Exception:
                logger.exception("%s: on_error handler %r failed", self._name, handler)

    def _end_delivery(self) -> None:
        """No more items: wake every consumer and join the delivery thread."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._delivery
        if thread is not None and thread is not threading.current_thread():
            thread.join()
