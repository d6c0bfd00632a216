"""User data stream: what the gaps say, and what the rotation's removal of copies keeps."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
    ListenKeyExpired,
    StreamGap,
)
from binance_usdm_ws.testing import LocalExchange

from ._data import sample_event
from .conftest import wait_until


@pytest.fixture(name="ex")
def quiet_exchange() -> Iterator[LocalExchange]:
    """An exchange that sends no pings: the only frames a stream receives are a test's."""
    # No server pings: the only frames a stream receives are the events a test pushes.
    with LocalExchange(quiet=True, ping_interval=None) as exchange:
        yield exchange


def stream_client(
    ex: LocalExchange, api_timeout: float = 5.0, **streams: Any
) -> BinanceDerivativesTradingUsdsFuturesClient:
    """A client of ``ex`` whose streams reconnect quickly (``streams``: stream options)."""
    streams.setdefault("reconnect_delay", 0.02)
    streams.setdefault("reconnect_max_delay", 0.2)
    return BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=ConfigurationWebsocketApi(
            base_path=ex.ws_api_url,
            api_key=ex.api_key,
            api_secret=ex.api_secret,
            timeout=api_timeout,
        ),
        websocket_streams=ConfigurationWebsocketStreams(base_path=ex.streams_url, **streams),
    )


def take(stream: Any) -> Any:
    item = stream.get(10)
    assert item is not None, "nothing arrived in time"
    return item


def now_ms() -> int:
    return int(time.time() * 1000)


def lite(t: int, event_time: int) -> dict[str, Any]:
    return sample_event("TRADE_LITE", E=event_time, T=event_time, t=t)


def starts(ex: LocalExchange) -> int:
    return [r.method for r in ex.requests].count("userDataStream.start")


def test_rotation_keeps_distinct_events_that_share_an_event_time(ex):
    """While copies from a rotation's overlap are removed, two different events with the same
    ``E`` (Binance sends many per millisecond) are both delivered, once each, in order."""
    with stream_client(ex, rotation_interval=0.2) as client:
        with client.user_data_stream() as stream:
            ex.wait_for(lambda: ex.stream_connection_count == 1)
            wait_until(lambda: stream.rotations >= 1, timeout=10)  # copies are removed now
            sent: list[int] = []
            start = stream.rotations
            while stream.rotations < start + 2 and len(sent) < 2000:  # across overlaps
                for n in (len(sent), len(sent) + 1):  # a pair of events sharing E
                    ex.push_event(lite(n, 1_700_000_000_000 + len(sent) // 2))
                    sent.append(n)
                time.sleep(0.005)
            got = [take(stream) for _ in sent]
            assert [getattr(item, "trade_id", item) for item in got] == sent
            assert stream.get(0.3) is None  # and no copy came after them
            assert stream.duplicates > 0  # copies did arrive, and were removed


def test_gap_starts_at_the_last_frame_received_not_at_detection(ex):
    """A dropped socket's gap starts when its last frame arrived, not when the loss was seen."""
    with stream_client(ex) as client, client.user_data_stream() as stream:
        ex.wait_for(lambda: ex.stream_connection_count == 1)
        before = now_ms()
        ex.push_event(lite(1, before))
        assert take(stream).trade_id == 1
        received = now_ms()  # the last frame arrived between `before` and now
        time.sleep(0.3)  # orders the events below after it; not a measurement
        dropped = now_ms()
        ex.faults.drop_connections("stream")
        gap = take(stream)
        assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
        assert before - 5 <= gap.start <= received + 5 < dropped
        assert gap.end >= dropped


def test_listen_key_expired_for_another_key_is_delivered_but_changes_nothing(ex):
    """A ``listenKeyExpired`` naming another key is an event like any other: no new key, no
    reconnect, no gap."""
    with stream_client(ex) as client, client.user_data_stream() as stream:
        ex.wait_for(lambda: ex.stream_connection_count == 1)
        key = stream.listen_key
        ex.push_event({"e": "listenKeyExpired", "E": now_ms(), "listenKey": "another-key"})
        expired = take(stream)
        assert isinstance(expired, ListenKeyExpired) and expired.listen_key == "another-key"
        ex.push_event(lite(2, now_ms()))
        assert take(stream).trade_id == 2
        # A drop now makes the supervisor act: had it queued a renewal for the other key's
        # expiry, that would come first (and say listen_key_expired).
        ex.faults.drop_connections("stream")
        gap = take(stream)
        assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
        assert stream.listen_key == key and stream.key_renewals == 0 and starts(ex) == 1
        ex.push_event(lite(3, now_ms()))
        assert take(stream).trade_id == 3


def test_listen_key_expired_for_its_own_key_renews_with_a_gap(ex):
    """The control case: the stream's own key expiring does start a new key, after a gap."""
    with stream_client(ex) as client, client.user_data_stream() as stream:
        ex.wait_for(lambda: ex.stream_connection_count == 1)
        key = stream.listen_key
        ex.push_event({"e": "listenKeyExpired", "E": now_ms(), "listenKey": key})
        assert isinstance(take(stream), ListenKeyExpired)
        gap = take(stream)
        assert isinstance(gap, StreamGap) and gap.reason == "listen_key_expired"
        assert starts(ex) == 2  # a new userDataStream.start
