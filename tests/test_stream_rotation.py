"""Rotations and reconnects meeting failures, and the order they must keep.

A rotation opens the new socket while the old one still delivers; the new one's messages are
held back until the old one is closed. If the old socket dies uncleanly meanwhile (a TCP drop,
no close frame), frames may be missing between its last frame and the new socket: the consumer
gets, in this order, everything the old socket delivered, one ``StreamGap`` from the old
socket's last frame to the opening of the new one, then what the new socket held back.

The exchange's ``drop_when_replaced`` fault makes this deterministic: the old sockets are
aborted before the new one's handshake is answered, and the new one is sent its first messages
at once, so they are held back for the whole overlap.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from binance_usdm_ws import (
    AggregateTrade,
    ConnectionClosed,
    ListenKeyExpired,
    StreamGap,
)
from binance_usdm_ws._core._supervisor import DEDUPE_GRACE

from ._data import sample_event
from .conftest import wait_until
from .test_stream_gaps import (
    now_ms,
    quiet_exchange,  # noqa: F401  (the fixture `ex`)
    stream_client,
    take,
)
from .test_websocket_streams import TRADE, streams  # noqa: F401  (fixture)


def event(n: int) -> dict[str, Any]:
    return sample_event("TRADE_LITE", E=1_700_000_000_000 + n, T=1_700_000_000_000 + n, t=n)


def test_an_unclean_close_during_rotation_puts_a_gap_before_the_held_back_messages(ex):
    with stream_client(ex, rotation_interval=0.3) as client:
        with client.user_data_stream() as stream:
            ex.wait_for(lambda: ex.stream_connection_count == 1)
            key = stream.listen_key
            before = now_ms()
            ex.push_event(event(1))
            assert take(stream).trade_id == 1
            received = now_ms()  # event 1, the old socket's last frame, arrived before this
            ex.faults.drop_when_replaced("stream", send=[event(2), event(3)])
            gap = take(stream)
            taken = now_ms()
            assert isinstance(gap, StreamGap), gap  # before the messages held back
            assert gap.reason == "reconnect"
            assert gap.detail == "the replaced socket did not close cleanly during rotation"
            # From the old socket's last frame to the opening of the new socket.
            assert before - 5 <= gap.start <= received + 5
            assert gap.start < gap.end <= taken + 5
            assert [take(stream).trade_id for _ in range(2)] == [2, 3]
            wait_until(lambda: stream.rotations >= 1, 10)
            ex.push_event(event(4))
            assert take(stream).trade_id == 4  # the new socket delivers live
            assert stream.get(0.2) is None  # and nothing else came: no second gap, no copy
            # A rotation, not a reconnect, and on the same key: no new listenKey.
            assert stream.reconnects == 0 and stream.listen_key == key
            assert [r.method for r in ex.requests].count("userDataStream.start") == 1


def test_a_clean_rotation_has_no_gap_and_keeps_the_held_back_messages(ex):
    """The control case: the old socket closes cleanly; the new one's first messages, which the
    old one never had, follow without a gap."""
    with stream_client(ex, rotation_interval=0.3) as client:
        with client.user_data_stream() as stream:
            ex.wait_for(lambda: ex.stream_connection_count == 1)
            ex.push_event(event(1))
            assert take(stream).trade_id == 1
            done = stream.rotations
            wait_until(lambda: stream.rotations > done, 10)
            ex.push_event(event(2))
            assert take(stream).trade_id == 2
            assert stream.reconnects == 0 and stream.get(0.2) is None
            # A rotation reuses the key it has: no WS API call (a reconnect checks the key).
            assert [r.method for r in ex.requests] == ["userDataStream.start"]


def test_rotations_count_the_sockets_replaced(ex):
    """Each rotation opens one new socket: the counter never runs ahead of the new sockets the
    exchange saw, and goes on counting."""
    with stream_client(ex, rotation_interval=0.3) as client:
        with client.user_data_stream() as stream:
            ex.wait_for(lambda: ex.stream_connection_count == 1)

            def replaced() -> int:  # stream sockets opened after the first
                return sum(1 for path, _ in ex.handshakes if path != "/ws-fapi/v1") - 1

            for target in (1, 2, 3):
                wait_until(lambda: stream.rotations >= target, 10)  # noqa: B023
                done = stream.rotations
                assert 1 <= done <= replaced()
            assert stream.reconnects == 0


def test_an_unclean_close_in_a_market_rotation_gaps_every_handle(exchange, streams):  # noqa: F811
    ws = streams(rotation_interval=0.3)
    first = ws.subscribe(["btcusdt@aggTrade"])
    second = ws.subscribe(["ethusdt@aggTrade"])
    assert ws.connection_count == 1
    exchange.publish("btcusdt@aggTrade", TRADE)
    assert isinstance(first.get(timeout=10), AggregateTrade)
    exchange.faults.drop_when_replaced("stream")
    for handle in (first, second):
        gap = handle.get(timeout=10)
        assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
        assert "rotation" in gap.detail
    wait_until(lambda: ws.rotations >= 1, 10)
    assert ws.reconnects == 0
    wait_until(lambda: exchange.publish("ethusdt@aggTrade", dict(TRADE, s="ETHUSDT")) == 1, 10)
    assert second.get(timeout=10).symbol == "ETHUSDT"


def test_a_reconnect_puts_the_gap_before_what_it_held_back(exchange, streams):  # noqa: F811
    """A new market socket is held back while it subscribes: a frame it carries before the
    ``SUBSCRIBE`` is answered comes after the reconnect's gap, never before it."""
    ws = streams()
    handle = ws.subscribe(["btcusdt@aggTrade"])
    exchange.publish("btcusdt@aggTrade", dict(TRADE, a=1))
    assert handle.get(timeout=10).aggregate_trade_id == 1
    early = {"stream": "btcusdt@aggTrade", "data": dict(TRADE, a=2)}
    exchange.faults.drop_when_replaced("stream", send=[early])  # sent before the ack
    assert exchange.faults.drop_connections("stream") == 1
    gap = handle.get(timeout=10)
    assert isinstance(gap, StreamGap) and gap.reason == "reconnect", gap
    assert handle.get(timeout=10).aggregate_trade_id == 2
    wait_until(lambda: ws.reconnects == 1, 10)
    exchange.publish("btcusdt@aggTrade", dict(TRADE, a=3))
    assert handle.get(timeout=10).aggregate_trade_id == 3
    assert handle.get(timeout=0.2) is None


def test_a_stream_reconnects_on_its_key_while_the_ws_api_is_down(ex):
    """A reconnect checks the listenKey on the WS API; when that cannot answer (half-open), the
    socket still comes back on the current key, with its gap, instead of failing until the WS
    API is back."""
    with stream_client(ex, api_timeout=0.5, rotation_interval=None) as client:
        with client.user_data_stream() as stream:
            ex.wait_for(lambda: ex.stream_connection_count == 1)
            key = stream.listen_key
            assert ex.faults.silence("api") == 1  # no answer to anything any more
            assert ex.faults.drop_connections("stream") == 1
            gap = take(stream)
            assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
            assert stream.reconnects == 1 and stream.listen_key == key
            ex.wait_for(lambda: ex.stream_connection_count == 1)
            ex.push_event(event(5))
            assert take(stream).trade_id == 5
            ex.faults.reset()  # the WS API answers again: closing stops the key at once


def test_a_renewal_while_the_old_socket_still_delivers_removes_the_copies(ex):
    """An expired key is replaced while its socket still delivers: what both sockets carry is
    delivered once. The new socket's handshake is held so that the old one delivers event 2
    meanwhile; the new one then carries 2 again, and 3."""
    with stream_client(ex, rotation_interval=None) as client:
        with client.user_data_stream() as stream:
            ex.wait_for(lambda: ex.stream_connection_count == 1)
            key = stream.listen_key
            ex.push_event(event(1))
            assert take(stream).trade_id == 1
            shaken = len(ex.handshakes)
            ex.faults.stall_handshakes(1.0)
            ex.faults.drop_when_replaced("stream", send=[event(2), event(3)])
            ex.push_event({"e": "listenKeyExpired", "E": now_ms(), "listenKey": key})
            assert isinstance(take(stream), ListenKeyExpired)
            ex.wait_for(lambda: len(ex.handshakes) > shaken)  # the new socket is opening
            ex.push_event(event(2), listen_key=key)
            items = [take(stream) for _ in range(3)]
            gaps = [i for i in items if isinstance(i, StreamGap)]
            assert [g.reason for g in gaps] == ["listen_key_expired"], items
            assert [i.trade_id for i in items if i not in gaps] == [2, 3]
            assert stream.get(0.3) is None  # no copy of 2 after them
            assert stream.duplicates >= 1
            copies = stream.duplicates
            ex.push_event(event(3))  # a late copy, within the grace after the switch
            assert stream.get(0.3) is None and stream.duplicates == copies + 1
            # Copies are looked for only until a grace after the switch: then two identical
            # payloads (Binance may send them) are two events again.
            time.sleep(DEDUPE_GRACE + 0.5)
            ex.push_event(event(4))
            ex.push_event(event(4))
            assert [take(stream).trade_id for _ in range(2)] == [4, 4]


def test_each_loss_is_one_reconnect_and_one_gap_and_the_log_says_how_many_attempts(ex, caplog):
    caplog.set_level(logging.INFO, logger="binance_usdm_ws")
    errors: list[BaseException] = []
    with stream_client(ex, rotation_interval=None) as client:
        with client.user_data_stream() as stream:
            stream.on_error(errors.append)
            ex.wait_for(lambda: ex.stream_connection_count == 1)
            for n in (1, 2):
                if n == 2:  # the second time, three attempts fail first (the key check)
                    ex.faults.error_reply("userDataStream.ping", 503, -1001, "Internal error", 3)
                assert ex.faults.drop_connections("stream") == 1
                gap = take(stream)
                assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
                assert gap.detail.startswith("stream connection lost: ")
                assert stream.reconnects == n
                ex.wait_for(lambda: ex.stream_connection_count == 1)
                ex.push_event(event(n))
                assert take(stream).trade_id == n
            assert [getattr(e, "code", None) for e in errors] == [-1001] * 3
    name = stream._name
    lost = [r.getMessage() for r in caplog.records if "reconnecting" in r.getMessage()]
    assert len(lost) == 2 and all(m.startswith(f"{name}: stream connection lost") for m in lost)
    back = [r.getMessage() for r in caplog.records if "back after" in r.getMessage()]
    assert [m.split(", gap")[0] for m in back] == [
        f"{name}: back after 1 attempt(s)",
        f"{name}: back after 4 attempt(s)",
    ]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_failed_market_reconnect_attempts_reach_the_handles_then_it_is_back(
    exchange,
    streams,  # noqa: F811
):
    ws = streams(connect_timeout=0.3, reconnect_delay=0.02, reconnect_max_delay=0.1)
    handle = ws.subscribe(["btcusdt@aggTrade"])
    errors: list[BaseException] = []
    handle.on_error(errors.append)
    exchange.faults.stall_handshakes(5.0)  # every attempt times out in its handshake
    assert exchange.faults.drop_connections("stream") == 1
    # Errors reach on_error in the consuming thread: here, in get() (no gap comes meanwhile).
    wait_until(lambda: handle.get(timeout=0.05) is None and len(errors) >= 2, 10)
    assert all(isinstance(e, ConnectionClosed) for e in errors)
    exchange.faults.stall_handshakes(0)
    gap = handle.get(timeout=10)
    assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
    wait_until(lambda: ws.reconnects == 1, 10)
    wait_until(lambda: exchange.publish("btcusdt@aggTrade", dict(TRADE, a=7)) == 1, 10)
    assert handle.get(timeout=10).aggregate_trade_id == 7


def test_a_failed_rotation_keeps_the_old_socket_reports_and_is_retried(ex, caplog):
    """The new socket cannot open (its handshake hangs past ``connect_timeout``): the old one
    goes on delivering without a gap, the failure reaches ``on_error``, and the rotation is
    tried again until it succeeds."""
    caplog.set_level(logging.INFO, logger="binance_usdm_ws")
    errors: list[BaseException] = []
    with stream_client(ex, rotation_interval=0.2, connect_timeout=0.3) as client:
        with client.user_data_stream() as stream:
            stream.on_error(errors.append)
            ex.wait_for(lambda: ex.stream_connection_count == 1)
            first = stream.connection
            ex.faults.stall_handshakes(5.0)
            shaken = len(ex.handshakes)
            ex.wait_for(lambda: len(ex.handshakes) >= shaken + 2)  # two rotations tried
            ex.push_event(event(1))
            assert take(stream).trade_id == 1  # on the old socket, no gap before it
            assert stream.rotations == 0 and stream.connection is first
            assert errors and all(isinstance(e, ConnectionClosed) for e in errors)
            ex.faults.stall_handshakes(0)
            wait_until(lambda: stream.rotations >= 1, 10)
            ex.push_event(event(2))
            assert take(stream).trade_id == 2
            assert stream.reconnects == 0 and stream.get(0.2) is None
    logged = [r.getMessage() for r in caplog.records if r.name == "binance_usdm_ws"]
    failed = [m for m in logged if "rotation failed" in m]
    assert set(failed) == {f"{stream._name}: rotation failed; retrying"}
    assert f"{stream._name}: stream connection rotated" in logged
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_the_copies_looked_for_are_the_last_10000_payloads_compared_whole():
    """White-box, the overlap's memory: bounded, and a copy means the same payload, keys in any
    order; one differing value is a different message."""
    from binance_usdm_ws._core._supervisor import _Seen

    seen = _Seen()
    assert seen.add({"a": 1, "b": [1, 2]}) and not seen.add({"b": [1, 2], "a": 1})
    assert seen.add({"a": 1, "b": [1, 3]}) and seen.add({"a": 2, "b": [1, 2]})
    for n in range(10_000 - 3):
        assert seen.add({"n": n})
    assert not seen.add({"a": 1, "b": [1, 2]})  # still among the last 10 000
    assert seen.add({"n": -1})  # the 10 001st: the oldest is forgotten
    assert seen.add({"a": 1, "b": [1, 2]})  # it was forgotten; now the second oldest goes
    assert seen.add({"a": 1, "b": [1, 3]}) and not seen.add({"n": 5})


def test_a_failed_market_rotation_reaches_the_handles_and_the_socket_stays(
    exchange,
    streams,  # noqa: F811
):
    ws = streams(rotation_interval=0.2, connect_timeout=0.3)
    handle = ws.subscribe(["btcusdt@aggTrade"])
    errors: list[BaseException] = []
    handle.on_error(errors.append)
    exchange.faults.stall_handshakes(5.0)  # no new socket can open: every rotation fails
    wait_until(lambda: handle.get(timeout=0.05) is None and len(errors) >= 1, 10)
    assert all(isinstance(e, ConnectionClosed) for e in errors)
    exchange.publish("btcusdt@aggTrade", dict(TRADE, a=5))  # the old socket still delivers
    assert handle.get(timeout=10).aggregate_trade_id == 5
    assert ws.rotations == 0 and ws.reconnects == 0
    exchange.faults.stall_handshakes(0)
    wait_until(lambda: ws.rotations >= 1, 10)


def test_no_rotation_before_its_interval_even_after_a_reconnect(ex):
    """``rotation_interval`` counts from when the current socket was installed: a stream an
    hour from its rotation does not rotate, before a reconnect or after it."""
    with stream_client(ex, rotation_interval=3600) as client:
        with client.user_data_stream() as stream:
            ex.wait_for(lambda: ex.stream_connection_count == 1)
            first = stream.connection
            ex.push_event(event(1))
            assert take(stream).trade_id == 1
            assert ex.faults.drop_connections("stream") == 1
            assert isinstance(take(stream), StreamGap)
            second = stream.connection
            ex.wait_for(lambda: ex.stream_connection_count == 1)
            ex.push_event(event(2))
            assert take(stream).trade_id == 2
            time.sleep(0.5)  # room for a rotation that should not happen
            assert stream.rotations == 0 and stream.connection is second is not first
            sockets = [path for path, _ in ex.handshakes if path != "/ws-fapi/v1"]
            assert ex.stream_connection_count == 1 and len(sockets) == 2


def test_a_half_open_socket_replaced_by_a_rotation_gets_a_gap(ex):
    """The old socket stopped answering (half-open: the exchange neither reads nor sends on it)
    before the rotation, so event 2 never reached it, nor the new socket opened after it. Its
    close then times out: that is not a clean close, and a ``StreamGap`` says events may be
    missing."""
    with stream_client(ex, rotation_interval=3.0, close_timeout=0.5) as client:
        with client.user_data_stream() as stream:
            ex.wait_for(lambda: ex.stream_connection_count == 1)
            ex.push_event(event(1))
            assert take(stream).trade_id == 1
            assert ex.faults.silence("stream") == 1
            ex.push_event(event(2))  # lost: dropped for the silenced socket
            gap = take(stream)
            assert isinstance(gap, StreamGap) and gap.reason == "reconnect", gap
            assert gap.detail == "the replaced socket did not close cleanly during rotation"
            wait_until(lambda: stream.rotations == 1, 10)
            ex.push_event(event(3))
            assert take(stream).trade_id == 3
            assert stream.reconnects == 0 and stream.get(0.2) is None


def test_close_ends_a_half_open_stream_socket_at_its_close_timeout(ex):
    """The stream's socket went half-open (the exchange neither reads nor answers it): its
    close frame is never answered, and ``close()`` gives up on it after ``close_timeout``
    instead of waiting for an answer that never comes."""
    client = stream_client(ex, close_timeout=0.5)
    client.websocket_api.connect()
    stream = client.user_data_stream().start()
    ex.wait_for(lambda: ex.stream_connection_count == 1)
    assert ex.faults.silence("stream") == 1
    closer = threading.Thread(target=client.close)
    closer.start()
    closer.join(60)
    assert not closer.is_alive(), "close() waits for a half-open socket's answer"
    assert stream.closed


def test_the_supervisor_runs_in_a_named_daemon_thread(ex):
    """The threads of a stream are named after it (a user reading a thread dump sees whose
    they are): its supervisor, and its socket's reader and heartbeat, numbered by socket; like
    every SDK thread they are daemon threads."""
    with stream_client(ex) as client, client.user_data_stream() as stream:
        threads = [t for t in threading.enumerate() if t.name.startswith("binance-usdm-ws")]
        name = stream._name
        assert name.startswith("binance-usdm-ws-uds")
        ours = sorted(t.name for t in threads if t.name.startswith(f"{name}-"))
        assert ours == [f"{name}-1-heartbeat", f"{name}-1-reader", f"{name}-supervisor"]
        assert all(t.daemon for t in threads)


def test_a_stream_without_a_silence_timeout_has_no_heartbeat_and_works(ex):
    """``silence_timeout=0`` turns the stream's heartbeat off: no heartbeat thread, and the
    stream delivers on its first socket."""
    with stream_client(ex, silence_timeout=0) as client, client.user_data_stream() as stream:
        ex.wait_for(lambda: ex.stream_connection_count == 1)
        ex.push_event(event(1))
        assert take(stream).trade_id == 1
        ours = sorted(t.name for t in threading.enumerate() if t.name.startswith(stream._name))
        assert ours == [f"{stream._name}-1-reader", f"{stream._name}-supervisor"]
        assert stream.reconnects == 0
