"""What a stream hands its consumer (``_stream_delivery``): order, overflow gaps, decode failures,
callbacks and iteration, pinned on the consumer itself.

The streams feed their ``StreamConsumer`` from socket reader threads; here a test plays that
producer (``push``), so each rule is checked exactly, without timing. The same rules over real
sockets are in ``test_streams.py`` and ``test_websocket_streams.py``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from binance_usdm_ws import InvalidRequest, StreamGap, UnknownEvent
from binance_usdm_ws._core._stream_delivery import StreamConsumer
from binance_usdm_ws.errors import DecodeError

from .conftest import wait_until


class Item:
    """A decoded message: its ``n``."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __repr__(self) -> str:
        return f"Item({self.n})"


class Other(Item):
    pass


def decode(message: Any) -> Any:
    """``{"n": 1}`` → ``Item(1)``; ``{"other": 1}`` → ``Other(1)``; else ``DecodeError``."""
    if type(message) is dict and type(message.get("n")) is int:
        return Item(message["n"])
    if type(message) is dict and type(message.get("other")) is int:
        return Other(message["other"])
    raise DecodeError("cannot decode", errors=["$: no n"], payload=message)


def consumer(queue_size: int = 0, callbacks: bool = False) -> StreamConsumer[Any]:
    c: StreamConsumer[Any] = StreamConsumer(queue_size, "test-consumer", decode)
    c._delivery_wanted = callbacks  # what a stream sets once it has started
    return c


def push(c: StreamConsumer[Any], *messages: Any) -> None:
    """What a reader thread does: append under the lock, wake the consumer."""
    with c._cond:
        for message in messages:
            c._buffer.push_raw(message)
        c._cond.notify_all()


def gap(c: StreamConsumer[Any], g: StreamGap) -> None:
    with c._cond:
        c._buffer.push_notice(g)
        c._cond.notify_all()


def drain(c: StreamConsumer[Any]) -> list[Any]:
    out = []
    while (item := c.get(0)) is not None:
        out.append(item)
    return out


def ns(items: list[Any]) -> list[Any]:
    return [i.n if isinstance(i, Item) else i for i in items]


# ---------------------------------------------------------------------------- decode


def test_an_object_that_fails_to_decode_is_delivered_raw_and_reported():
    c = consumer()
    errors: list[BaseException] = []
    c.on_error(errors.append)
    bad = {"e": "someEvent", "E": 1_700_000_000_123, "x": 1}
    push(c, {"n": 1}, bad, {"n": 2})
    first, raw, last = c.get(0), c.get(0), c.get(0)
    assert first.n == 1 and last.n == 2
    assert isinstance(raw, UnknownEvent) and raw.raw is bad
    assert (raw.event_type, raw.event_time) == ("someEvent", 1_700_000_000_123)
    assert [type(e) for e in errors] == [DecodeError]
    assert c.get(0) is None and c.pending == 0


def test_a_combined_envelope_that_fails_to_decode_is_delivered_as_its_payload():
    c = consumer()
    data = {"e": "x", "E": 5}
    push(c, {"stream": "btcusdt@x", "data": data})
    raw = c.get(0)
    assert isinstance(raw, UnknownEvent) and raw.raw is data
    assert (raw.event_type, raw.event_time) == ("x", 5)


def test_odd_type_and_time_fields_of_an_undecodable_object_are_none():
    c = consumer()
    push(c, {"e": 7, "E": "12"}, {"E": 1.5})
    for raw in drain(c):
        assert isinstance(raw, UnknownEvent)
        assert raw.event_type is None and raw.event_time is None


def test_what_is_not_an_object_is_reported_and_skipped():
    c = consumer()
    errors: list[BaseException] = []
    c.on_error(errors.append)
    push(c, [1, 2], "stream data", {"stream": "s", "data": [3]}, {"n": 4})
    assert ns(drain(c)) == [4]  # the three that hold no object are not events
    assert len(errors) == 3 and all(isinstance(e, DecodeError) for e in errors)


def test_an_object_naming_a_stream_without_data_is_delivered_whole():
    c = consumer()
    odd = {"stream": "btcusdt@x", "e": "y"}
    push(c, odd)
    raw = c.get(0)
    assert isinstance(raw, UnknownEvent) and raw.raw is odd and raw.event_type == "y"


# ---------------------------------------------------------------------------- overflow


def test_overflow_gap_names_the_count_the_times_and_the_queue_size():
    c = consumer(queue_size=3)
    push(c, *({"n": n, "E": 1000 + n} for n in range(8)))
    assert c.dropped == 5 and c.pending == 4  # three messages and one pending gap
    g, *rest = drain(c)
    assert isinstance(g, StreamGap) and (g.reason, g.dropped) == ("overflow", 5)
    assert (g.start, g.end) == (1000, 1004)  # the event times of the first and last dropped
    assert g.detail == "consumer too slow: 5 message(s) dropped (queue_size 3)"
    assert ns(rest) == [5, 6, 7]
    push(c, {"n": 8}, {"n": 9}, {"n": 10})  # room for three again: nothing more is dropped
    assert c.dropped == 5 and ns(drain(c)) == [8, 9, 10]


def test_overflow_gap_times_read_digits_and_fall_back_to_the_time_of_the_drop():
    c = consumer(queue_size=1)
    push(c, {"n": 0, "E": "1005"}, {"n": 1})
    g = c.get(0)
    assert (g.start, g.end, g.dropped) == (1005, 1005, 1)
    assert c.get(0).n == 1
    for odd in ({"n": 2}, {"n": 2, "E": "12a"}, {"n": 2, "E": 1.5}, [2]):
        before = int(time.time() * 1000)
        push(c, odd, {"n": 3})
        after = int(time.time() * 1000)
        g = c.get(0)
        assert before <= g.start == g.end <= after, odd
        assert c.get(0).n == 3


def test_overflow_gaps_count_separately_around_a_notice_and_the_total_goes_on():
    c = consumer(queue_size=2)
    push(c, {"n": 0, "E": 10}, {"n": 1, "E": 11})
    gap(c, StreamGap("reconnect", 1, 2))
    push(c, {"n": 2, "E": 12}, {"n": 3, "E": 13}, {"n": 4, "E": 14}, {"n": 5, "E": 15})
    assert c.pending == 5  # two gaps moved ahead, the one pending, two messages
    items = drain(c)
    # 0 and 1 were dropped before the reconnect gap, 2 and 3 after it.
    shown = [
        (i.reason, i.dropped, i.start, i.end) if isinstance(i, StreamGap) else i.n for i in items
    ]
    assert shown == [("overflow", 2, 10, 11), ("reconnect", 0, 1, 2), ("overflow", 2, 12, 13), 4, 5]
    assert c.dropped == 4 and c.pending == 0


def test_notices_taken_do_not_make_room_for_messages():
    c = consumer(queue_size=2)
    gap(c, StreamGap("reconnect", 1, 2))
    push(c, {"n": 0, "E": 10})
    assert isinstance(c.get(0), StreamGap)  # the notice; message 0 still holds its place
    push(c, {"n": 1, "E": 11}, {"n": 2, "E": 12})  # the third message: the oldest goes
    g, *rest = drain(c)
    assert (g.reason, g.dropped, g.start) == ("overflow", 1, 10) and ns(rest) == [1, 2]


def test_an_unbounded_queue_never_drops():
    c = consumer(queue_size=0)
    push(c, *({"n": n} for n in range(2000)))
    assert c.dropped == 0 and c.pending == 2000
    assert ns(drain(c)) == list(range(2000))


def test_the_gap_duration_is_in_seconds_and_never_negative():
    assert StreamGap("reconnect", 1_000, 3_500).duration == 2.5
    assert StreamGap("reconnect", 3_500, 1_000).duration == 0


# ---------------------------------------------------------------------------- iteration


def test_batches_keep_the_order_and_pending_counts_what_was_taken():
    c = consumer(queue_size=1024)  # takes up to 32 items at a time
    push(c, *({"n": n} for n in range(100)))
    assert c.get(0).n == 0 and c.pending == 99
    push(c, {"n": 100})
    assert ns(drain(c)) == list(range(1, 101))


def test_get_waits_for_the_next_item_and_returns_none_on_timeout():
    c = consumer()
    started = time.monotonic()
    assert c.get(0.3) is None
    assert time.monotonic() - started >= 0.3  # it did wait (a wait never ends early)
    threading.Timer(0.2, push, (c, {"n": 1})).start()
    assert c.get(10).n == 1  # woken by the push, long before the timeout


def test_after_close_iteration_drains_what_is_left_then_ends():
    c = consumer()
    push(c, {"n": 1}, {"n": 2})
    c._end_delivery()
    assert [i.n for i in c] == [1, 2]
    assert c.get(None) is None  # closed and empty: no wait


def test_errors_reported_reach_on_error_in_order_with_the_items(caplog):
    caplog.set_level(logging.WARNING, logger="binance_usdm_ws")
    c = consumer()
    seen: list[Any] = []
    c.on_error(lambda e: seen.append(str(e)))
    push(c, {"n": 1})
    c._report(ValueError("boom"))
    push(c, {"n": 2})
    assert c.get(0).n == 1 and seen == []
    assert c.get(0).n == 2 and seen == ["boom"]
    c._end_delivery()
    c._report(ValueError("late"))  # after close: nowhere to go
    assert c.get(0) is None and seen == ["boom"]
    # Each is logged, named by its stream.
    logged = [r.getMessage() for r in caplog.records]
    assert logged == ["test-consumer: boom", "test-consumer: late"]


# ---------------------------------------------------------------------------- callbacks


def test_callbacks_by_type_then_any_in_order_in_the_delivery_thread():
    c = consumer(callbacks=True)
    got: list[Any] = []
    threads: set[str] = set()
    c.on(Other, lambda i: got.append(("other", i.n)))
    c.on(StreamGap, lambda g: got.append(("gap", g.reason)))

    def any_item(i: Any) -> None:
        threads.add(threading.current_thread().name)
        got.append(("any", getattr(i, "n", None)))

    c.on_any(any_item)
    push(c, {"n": 1}, {"other": 2})
    gap(c, StreamGap("reconnect", 1, 2))
    wait_until(lambda: len(got) == 5)
    assert got == [("any", 1), ("other", 2), ("any", 2), ("gap", "reconnect"), ("any", None)]
    assert threads == {"test-consumer-delivery"}
    with pytest.raises(InvalidRequest) as info:
        c.get(0)  # callbacks consume it: iterating too is refused
    assert str(info.value).startswith(
        "this stream delivers to callbacks (on/on_any); do not also iterate it"
    )
    assert c._delivery is not None and c._delivery.daemon  # never keeps a program alive
    c._end_delivery()
    assert c._delivery is not None and not c._delivery.is_alive()


def test_a_failing_callback_goes_to_on_error_and_delivery_goes_on(caplog):
    c = consumer(callbacks=True)
    got: list[int] = []
    errors: list[BaseException] = []

    def bad_handler(e: BaseException) -> None:
        raise RuntimeError("the error handler fails too")

    c.on_error(bad_handler)
    c.on_error(errors.append)

    def handler(i: Item) -> None:
        if i.n == 1:
            raise KeyError("one")
        got.append(i.n)

    c.on(Item, handler)
    push(c, {"n": 1}, {"n": 2})
    wait_until(lambda: got == [2])
    c._end_delivery()
    assert [type(e) for e in errors] == [KeyError]  # the second handler still ran
    failed = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert failed == [
        f"test-consumer: callback {handler!r} failed",
        f"test-consumer: on_error handler {bad_handler!r} failed",
    ]


def test_the_delivery_thread_starts_only_once_the_stream_has_started_and_not_after_close():
    c = consumer(callbacks=False)
    got: list[int] = []
    c.on(Item, lambda i: got.append(i.n))
    assert c._delivery is None  # registered before the stream started
    c._delivery_wanted = True
    c._start_delivery()
    push(c, {"n": 1})
    wait_until(lambda: got == [1])
    c._end_delivery()
    closed = consumer(callbacks=True)
    closed._end_delivery()
    closed.on_any(lambda i: None)
    assert closed._delivery is None


def test_the_delivery_thread_stops_at_close_without_draining():
    c = consumer(callbacks=True)
    release = threading.Event()
    got: list[int] = []

    def slow(i: Item) -> None:
        release.wait(10)
        got.append(i.n)

    c.on(Item, slow)
    push(c, {"n": 1}, {"n": 2}, {"n": 3})
    wait_until(lambda: c.pending == 2)  # the first is in the callback
    ender = threading.Thread(target=c._end_delivery)
    ender.start()
    wait_until(lambda: c._closed)
    release.set()
    ender.join(10)
    assert got == [1]  # the rest is left: a closed stream calls no more callbacks
