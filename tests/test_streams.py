"""The user data stream over real sockets against the local exchange."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from binance_usdm_ws import (
    AccountConfigUpdate,
    AccountUpdate,
    AlgoUpdate,
    BinanceDerivativesTradingUsdsFuturesClient,
    ConditionalOrderTriggerReject,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
    ConnectionClosed,
    GridUpdate,
    InvalidRequest,
    ListenKeyExpired,
    MarginCall,
    OrderTradeUpdate,
    ServerError,
    StrategyUpdate,
    StreamGap,
    TradeLite,
    UnknownEvent,
    UserDataStream,
    decode_event,
)
from binance_usdm_ws.enums import ExecutionType, OrderStatus
from binance_usdm_ws.testing import LocalExchange
from binance_usdm_ws.websocket_api._requests import STRING, Param, Request, Security

from ._data import DATA, sample_event
from .conftest import wait_until as wait_for

SAMPLES = DATA

# Every test also runs under conftest's autouse `no_thread_leak`: no SDK thread may be left.


def sdk_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("binance-usdm-ws")]


@pytest.fixture
def ex():
    with LocalExchange(quiet=True) as exchange:
        yield exchange


def stream_client(ex: LocalExchange, **streams: Any) -> BinanceDerivativesTradingUsdsFuturesClient:
    api = ConfigurationWebsocketApi(
        base_path=ex.ws_api_url, api_key=ex.api_key, api_secret=ex.api_secret, timeout=5.0
    )
    streams.setdefault("reconnect_delay", 0.02)
    streams.setdefault("reconnect_max_delay", 0.2)
    cfg = ConfigurationWebsocketStreams(base_path=ex.streams_url, **streams)
    return BinanceDerivativesTradingUsdsFuturesClient(websocket_api=api, websocket_streams=cfg)


@pytest.fixture
def client(ex):
    with stream_client(ex) as c:
        yield c


def started(ex: LocalExchange, stream: UserDataStream, count: int = 1) -> UserDataStream:
    """Wait until the exchange serves ``count`` stream connections (its side of the handshake)."""
    ex.wait_for(lambda: ex.stream_connection_count == count)
    return stream


def take(stream: UserDataStream, timeout: float = 5.0) -> Any:
    item = stream.get(timeout)
    assert item is not None, "nothing arrived in time"
    return item


def event(n: int, e: str = "TRADE_LITE") -> dict[str, Any]:
    """A whole recorded event of type ``e``, made distinct by ``n`` (its trade id, its times)."""
    return sample_event(e, E=1_700_000_000_000 + n, T=1_700_000_000_000 + n, t=n)


#: The order of the recorded ORDER_TRADE_UPDATE (``o``), for variants of it.
ORDER: dict[str, Any] = sample_event("ORDER_TRADE_UPDATE")["o"]


def methods(ex: LocalExchange) -> list[str]:
    return [r.method for r in ex.requests if r.method]


# ---------------------------------------------------------------------------- events


EXPECTED = {
    "event.ORDER_TRADE_UPDATE.json": (
        OrderTradeUpdate,
        lambda ev: (
            ev.order.symbol,
            ev.order.order_id,
            ev.order.stop_price,
            ev.order.activation_price,
        ),
        ("BTCUSDT", 8886774, Decimal("7103.04"), Decimal("7476.89")),
    ),
    "event.TRADE_LITE.json": (
        TradeLite,
        lambda ev: (ev.symbol, ev.last_filled_price, ev.last_filled_quantity, ev.trade_id),
        ("BTCUSDT", Decimal("64089.20"), Decimal("0.040"), 109100866),
    ),
    "event.ACCOUNT_UPDATE.json": (
        AccountUpdate,
        lambda ev: (ev.data.balances[0].asset, ev.data.balances[0].wallet_balance),
        ("USDT", Decimal("122624.12345678")),
    ),
    "event.MARGIN_CALL.json": (
        MarginCall,
        lambda ev: (ev.cross_wallet_balance, ev.positions[0].symbol, ev.positions[0].mark_price),
        (Decimal("3.16812045"), "ETHUSDT", Decimal("187.17127")),
    ),
    "event.ACCOUNT_CONFIG_UPDATE.leverage.json": (
        AccountConfigUpdate,
        lambda ev: (ev.leverage.symbol, ev.leverage.leverage),
        ("BTCUSDT", 25),
    ),
    "event.STRATEGY_UPDATE.json": (
        StrategyUpdate,
        lambda ev: (ev.strategy.strategy_id, ev.strategy.op_code),
        (176054594, 8007),
    ),
    "event.GRID_UPDATE.json": (
        GridUpdate,
        lambda ev: (ev.grid.strategy_id, ev.grid.realized_pnl),
        (176057039, Decimal("-0.00300716")),
    ),
    "event.CONDITIONAL_ORDER_TRIGGER_REJECT.json": (
        ConditionalOrderTriggerReject,
        lambda ev: (ev.reject.symbol, ev.reject.order_id),
        ("ETHUSDT", 155618472834),
    ),
    "event.ALGO_UPDATE.json": (
        AlgoUpdate,
        lambda ev: (ev.order.algo_id, ev.order.trigger_price, ev.order.client_algo_id),
        (2148719, Decimal("750"), "Q5xaq5EGKgXXa0fD7fs0Ip"),
    ),
    "event.listenKeyExpired.json": (
        ListenKeyExpired,
        lambda ev: (ev.event_time, ev.listen_key),
        (1736996475556, "not-the-stream-key"),
    ),
}


def test_every_event_sample_is_covered():
    """The table below names every event sample of the spec."""
    assert {p.name for p in SAMPLES.glob("event.*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_pushed_sample_arrives_typed(ex, client, name):
    """Each event sample pushed on the socket arrives as its model with the right values."""
    payload = json.loads((SAMPLES / name).read_text())
    cls, get, expected = EXPECTED[name]
    if cls is ListenKeyExpired:
        payload = dict(payload, listenKey="not-the-stream-key")  # must not trigger a renewal
    with client.user_data_stream() as stream:
        started(ex, stream)
        ex.push_event(payload)
        item = take(stream)
        assert type(item) is cls
        assert item == decode_event(payload)
        assert get(item) == expected
        assert stream.key_renewals == 0


def test_unknown_event_type_arrives_raw(ex, client):
    """An event type the SDK does not know arrives as UnknownEvent carrying its payload."""
    with client.user_data_stream() as stream:
        started(ex, stream)
        ex.push_event({"e": "SOMETHING_NEW", "E": 5, "x": [1, 2]})
        item = take(stream)
        assert isinstance(item, UnknownEvent)
        assert item.event_type == "SOMETHING_NEW" and item.raw["x"] == [1, 2]


def test_event_with_an_odd_field_still_arrives_typed(ex, client, caplog):
    """A known event with one field that does not fit arrives typed, that field None and said."""
    errors: list[BaseException] = []
    with client.user_data_stream() as stream:
        stream.on_error(errors.append)
        started(ex, stream)
        ex.push_event(sample_event("ORDER_TRADE_UPDATE", E=7) | {"o": dict(ORDER, sp="x")})
        item = take(stream)
        assert isinstance(item, OrderTradeUpdate) and item.event_time == 7
        assert item.order.stop_price is None and item.raw["o"]["sp"] == "x"
        assert item.decode_problems == ("$.order.stop_price: expected Decimal, got str",)
        assert "$.order.stop_price" in caplog.text and errors == []
        # A required field that does not fit: the event arrives raw, never with a None.
        ex.push_event(sample_event("TRADE_LITE", E=8, q="not a number"))
        raw = take(stream)
        assert isinstance(raw, UnknownEvent) and raw.event_time == 8 and raw.raw["q"]
        assert raw.decode_problems[-1] == "$.original_quantity: required, missing or does not fit"
        assert errors == []


def test_events_arrive_in_order(ex, client):
    """Events are delivered exactly in the order the server sent them."""
    with client.user_data_stream() as stream:
        started(ex, stream)
        for n in range(300):
            ex.push_event(event(n))
        got = [take(stream).trade_id for _ in range(300)]
        assert got == list(range(300))


def test_stream_url_is_the_routed_private_query_form(ex, client):
    """By default the socket is opened on <streams base>/private/ws?listenKey=<listenKey>."""
    with client.user_data_stream() as stream:
        assert stream.connection is not None
        url = f"{ex.streams_url}/private/ws?listenKey={stream.listen_key}"
        assert stream.connection.url == url
        assert methods(ex).count("userDataStream.start") == 1


def test_iterator_form_ends_after_close(ex, client):
    """`for event in stream` yields events and ends once the stream is closed and drained."""
    stream = client.user_data_stream().start()
    started(ex, stream)
    for n in range(3):
        ex.push_event(event(n))
    wait_for(lambda: stream.pending == 3)
    got = []
    for item in stream:
        got.append(item.trade_id)
        if len(got) == 2:
            stream.close()
    assert got == [0, 1, 2]


def test_callbacks_run_in_the_delivery_thread(ex, client):
    """on(cls) gets the instances of cls, on_any gets everything, in the delivery thread."""
    orders: list[Any] = []
    everything: list[Any] = []
    threads: set[str] = set()
    with client.user_data_stream() as stream:
        stream.on(OrderTradeUpdate, orders.append)

        def record(item: Any) -> None:
            everything.append(item)
            threads.add(threading.current_thread().name)

        stream.on_any(record)
        started(ex, stream)
        ex.push_event(event(1, "ORDER_TRADE_UPDATE") | {"o": dict(ORDER, s="ETHUSDT", i=9)})
        ex.push_event(event(2))
        wait_for(lambda: len(everything) == 2)
        with pytest.raises(InvalidRequest):
            stream.get(0)
    assert [type(i) for i in everything] == [OrderTradeUpdate, TradeLite]
    assert len(orders) == 1 and orders[0].order.order_id == 9
    assert threads == {f"{stream._name}-delivery"}


def test_callback_registered_before_start(ex, client):
    """Callbacks registered before start() are served once the stream runs."""
    got: list[Any] = []
    stream = client.user_data_stream()
    stream.on(TradeLite, got.append)
    with stream:
        started(ex, stream)
        ex.push_event(event(1))
        wait_for(lambda: len(got) == 1)


def test_callback_exception_goes_to_on_error(ex, client):
    """An exception raised by a callback is reported to on_error; delivery goes on."""
    errors: list[BaseException] = []
    got: list[Any] = []

    def bad(item: Any) -> None:
        if item.trade_id == 1:
            raise RuntimeError("boom")
        got.append(item.trade_id)

    with client.user_data_stream() as stream:
        stream.on_error(errors.append)
        stream.on(TradeLite, bad)
        started(ex, stream)
        ex.push_event(event(1))
        ex.push_event(event(2))
        wait_for(lambda: got == [2])
    assert [str(e) for e in errors] == ["boom"]


def test_close_from_a_callback(ex, client):
    """close() called inside a callback stops the stream without deadlock."""
    stream = client.user_data_stream()
    stream.on(TradeLite, lambda item: stream.close())
    stream.start()
    started(ex, stream)
    ex.push_event(event(1))
    wait_for(lambda: stream.closed and not stream._delivery.is_alive())
    assert "userDataStream.stop" in methods(ex)


class _PlaceOrder(Request[dict]):
    """``order.place`` for this test only, when the trade builders are not available."""

    security = Security.TRADE
    order_method = True
    symbol = Param[str](STRING, required=True)
    side = Param[str](STRING)
    type = Param[str](STRING)
    quantity = Param[str](STRING)
    new_client_order_id = Param[str](STRING)


_PlaceOrder.method = "order.place"  # set after the class body: not in the builder registry


def test_order_placed_on_the_ws_api_arrives_on_the_stream(ex, client):
    """A MARKET order placed over the WS API shows up as TRADE_LITE, ORDER_TRADE_UPDATE and
    ACCOUNT_UPDATE events on the account's stream."""
    with client.user_data_stream() as stream:
        started(ex, stream)
        builder = Request.registry.get("order.place", _PlaceOrder)
        order = builder(client.websocket_api)
        order.symbol("BTCUSDT").side("BUY").type("MARKET").quantity("0.010")
        order.new_client_order_id("uds-test-1").execute()
        seen: list[Any] = []

        def filled(i: Any) -> bool:
            return isinstance(i, OrderTradeUpdate) and i.order.status == OrderStatus.FILLED

        while not (any(map(filled, seen)) and any(isinstance(i, AccountUpdate) for i in seen)):
            seen.append(take(stream))
    updates = [i for i in seen if isinstance(i, OrderTradeUpdate)]
    assert all(u.order.client_order_id == "uds-test-1" for u in updates)
    assert updates[-1].order.execution_type == ExecutionType.TRADE
    assert updates[-1].order.filled_accumulated_quantity == Decimal("0.010")
    trades = [i for i in seen if isinstance(i, TradeLite)]
    assert trades and trades[0].client_order_id == "uds-test-1" and trades[0].symbol == "BTCUSDT"
    account = next(i for i in seen if isinstance(i, AccountUpdate))
    assert account.data.positions and account.data.positions[0].symbol == "BTCUSDT"


# ---------------------------------------------------------------------------- lifecycle


def test_close_stops_the_key_and_leaves_no_thread(ex):
    """Leaving the with block stops the listenKey, closes the socket, joins every thread."""
    before = set(sdk_threads())
    with stream_client(ex) as client:
        with client.user_data_stream() as stream:
            stream.on_any(lambda item: None)
            started(ex, stream)
            key = stream.listen_key
            assert any(n.startswith(stream._name) for n in sdk_threads())
        assert stream.closed
        assert methods(ex)[-1] == "userDataStream.stop"
        assert not [n for n in sdk_threads() if n.startswith(stream._name)]
        ex.wait_for(lambda: ex.stream_connection_count == 0)
        with pytest.raises(ServerError) as info:  # the key is gone
            client.websocket_api.user_data_streams_api.keepalive_user_data_stream().execute()
        assert info.value.code == -1125
        stream.close()  # idempotent
    assert set(sdk_threads()) <= before
    assert key is not None


def test_client_close_closes_its_streams(ex):
    """Closing the client closes the streams it made (stopping their key first)."""
    client = stream_client(ex)
    client.websocket_api.connect()
    stream = client.user_data_stream().start()
    started(ex, stream)
    client.close()
    assert stream.closed and "userDataStream.stop" in methods(ex)


def test_start_fails_without_ws_api_connection(ex):
    """start() raises when the WS API is not connected, and nothing is left running."""
    client = stream_client(ex)
    try:
        stream = client.user_data_stream()
        with pytest.raises(ConnectionClosed, match=r"call connect\(\) first"):
            stream.start()
        assert ex.requests == [] and ex.stream_connection_count == 0
        assert stream.listen_key is None and not [t for t in sdk_threads() if "-uds" in t]
    finally:
        client.close()


def test_client_without_streams_configuration_refuses(ex):
    """user_data_stream() needs a websocket_streams configuration."""
    api = ConfigurationWebsocketApi(base_path=ex.ws_api_url, api_key=ex.api_key)
    with BinanceDerivativesTradingUsdsFuturesClient(websocket_api=api) as client:
        with pytest.raises(InvalidRequest):
            client.user_data_stream()


# ---------------------------------------------------------------------------- keepalive


def test_keepalive_keeps_the_key_alive_across_simulated_hours(ex):
    """Pinging every keepalive_interval keeps the key valid through 5 simulated hours."""
    with stream_client(ex, keepalive_interval=0.05) as client:
        with client.user_data_stream() as stream:
            started(ex, stream)
            key = stream.listen_key
            for _ in range(15):  # 15 x 20 min = 5 h, never 60 min without a ping
                done = stream.keepalives
                wait_for(lambda: stream.keepalives > done)  # noqa: B023
                ex.clock.advance(20 * 60)
            ex.push_event(event(1))
            assert take(stream).trade_id == 1  # no gap, no expiry before it
            assert stream.listen_key == key and stream.key_renewals == 0
            assert methods(ex).count("userDataStream.start") == 1
            assert methods(ex).count("userDataStream.ping") >= 15


def test_slow_keepalive_never_delays_events(ex):
    """While a keepalive waits for its reply, events keep flowing to the consumer."""
    with stream_client(ex, keepalive_interval=0.05) as client:
        ex.faults.delay("userDataStream.ping", 3.0)  # within the WS API timeout of 5 s
        with client.user_data_stream() as stream:
            started(ex, stream)
            wait_for(lambda: "userDataStream.ping" in methods(ex))
            ex.push_event(event(1))
            assert take(stream).trade_id == 1
            # The ping's reply was still held back when the event arrived.
            assert stream.keepalives == 0
            ex.faults.reset()


def test_failed_keepalive_is_retried_and_reported(ex):
    """A failed ping is reported through on_error and retried until it succeeds."""
    errors: list[BaseException] = []
    with stream_client(ex, keepalive_interval=0.3) as client:
        ex.faults.error_reply("userDataStream.ping", 503, -1001, "Internal error", times=2)
        with client.user_data_stream() as stream:
            stream.on_error(errors.append)
            stream.on_any(lambda item: None)
            started(ex, stream)
            wait_for(lambda: stream.keepalives >= 1)
            wait_for(lambda: len(errors) == 2)
    assert all(isinstance(e, ServerError) and e.code == -1001 for e in errors)
    assert stream.key_renewals == 0


def test_listen_key_expiry_starts_a_new_key_and_reports_a_gap(ex, client):
    """listenKeyExpired → a new key, a new socket, and a StreamGap; events flow on the new key."""
    with client.user_data_stream() as stream:
        started(ex, stream)
        old_key = stream.listen_key
        ex.clock.advance(61 * 60)  # no keepalive in time: the exchange expires the key
        expired = take(stream)
        assert isinstance(expired, ListenKeyExpired) and expired.listen_key == old_key
        gap = take(stream)
        assert isinstance(gap, StreamGap) and gap.reason == "listen_key_expired"
        assert gap.start <= gap.end and gap.dropped == 0
        assert stream.listen_key != old_key and stream.key_renewals == 1
        started(ex, stream)
        ex.push_event(event(1), listen_key=stream.listen_key)
        assert take(stream).trade_id == 1
        assert methods(ex).count("userDataStream.start") == 2


def test_keepalive_1125_starts_a_new_key(ex):
    """A keepalive answered with -1125 (the key is gone) → a new key and a StreamGap."""
    with stream_client(ex, keepalive_interval=0.05) as client:
        with client.user_data_stream() as stream:
            started(ex, stream)
            old_key = stream.listen_key
            # The key disappears behind the stream's back (no listenKeyExpired event).
            client.websocket_api.user_data_streams_api.close_user_data_stream().execute()
            gap = take(stream)
            assert isinstance(gap, StreamGap) and gap.reason == "listen_key_expired"
            assert "-1125" in gap.detail
            assert stream.listen_key not in (None, old_key)
            started(ex, stream)
            ex.push_event(event(3), listen_key=stream.listen_key)
            assert take(stream).trade_id == 3


# ---------------------------------------------------------------------------- reconnect


def test_dropped_stream_reconnects_and_reports_a_gap(ex, client):
    """A dropped socket is reconnected on the same key; a StreamGap marks the outage."""
    with client.user_data_stream() as stream:
        started(ex, stream)
        ex.push_event(event(1))
        assert take(stream).trade_id == 1
        key = stream.listen_key
        ex.faults.drop_connections(kind="stream")
        gap = take(stream)
        assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
        assert gap.start <= gap.end and "lost" in gap.detail
        started(ex, stream)
        ex.push_event(event(2))
        assert take(stream).trade_id == 2
        assert stream.listen_key == key and stream.reconnects == 1


@pytest.mark.parametrize("fault", ["drop", "expiry"])
def test_fault_during_event_flow_keeps_order_and_marks_the_gap(ex, client, fault):
    """Under a steady event flow a drop or an expiry yields one gap; nothing is duplicated and
    everything before and after arrives in order."""
    with client.user_data_stream() as stream:
        started(ex, stream)
        stop = threading.Event()

        def pump() -> None:
            n = 0
            while not stop.is_set():
                ex.push_event(event(n))  # to every stream socket, whatever its key
                n += 1
                time.sleep(0.001)

        pumper = threading.Thread(target=pump)
        pumper.start()
        try:
            wait_for(lambda: stream.pending > 50)
            if fault == "drop":
                ex.faults.drop_connections(kind="stream")
            else:
                ex.clock.advance(61 * 60)
            wait_for(lambda: stream.reconnects == 1)
            wait_for(lambda: stream.pending > 250)
        finally:
            stop.set()
            pumper.join()
        items = []
        while (item := stream.get(0.3)) is not None:
            items.append(item)
    gaps = [i for i in items if isinstance(i, StreamGap)]
    assert [g.reason for g in gaps] == ["reconnect" if fault == "drop" else "listen_key_expired"]
    ids = [i.trade_id for i in items if isinstance(i, TradeLite)]
    assert ids == sorted(set(ids)) and len(ids) > 200  # in order, no duplicate
    cut = items.index(gaps[0])
    # Around the gap only the order is guaranteed: trades go on arriving on the old socket
    # after its key's `listenKeyExpired` until it is replaced, so the item right before the
    # gap may be the expiry or a trade, however the threads are scheduled.
    before = [i.trade_id for i in items[:cut] if isinstance(i, TradeLite)]
    after = [i.trade_id for i in items[cut + 1 :] if isinstance(i, TradeLite)]
    assert before and after and before[-1] < after[0]
    expired = [n for n, i in enumerate(items) if isinstance(i, ListenKeyExpired)]
    # An expiry arrives once, on the old socket, before the gap it causes; a drop has none.
    assert len(expired) == (0 if fault == "drop" else 1) and all(n < cut for n in expired)
    assert all(isinstance(i, (TradeLite, ListenKeyExpired)) for i in items if i is not gaps[0])


def test_server_closing_at_24_hours_is_survived():
    """When the server ends the connections at their 24-hour age, the stream comes back on
    the same key (kept alive all along) with a reconnect gap."""
    with LocalExchange(quiet=True, max_connection_age=24 * 3600) as ex:
        with stream_client(ex, keepalive_interval=0.05, rotation_interval=None) as client:
            with client.user_data_stream() as stream:
                started(ex, stream)
                key = stream.listen_key
                for _ in range(29):  # 29 x 50 min > 24 h, a ping within every 60 min
                    done = stream.keepalives
                    wait_for(lambda: stream.keepalives > done)  # noqa: B023
                    ex.clock.advance(50 * 60)
                gap = take(stream)
                assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
                started(ex, stream)
                ex.push_event(event(9))
                assert take(stream).trade_id == 9
                assert stream.listen_key == key and stream.key_renewals == 0


def test_silent_stream_is_detected_and_reconnected(ex):
    """A half-open socket (no frame for silence_timeout) is replaced, with a StreamGap."""
    with stream_client(ex, silence_timeout=1.0) as client:
        with client.user_data_stream() as stream:
            started(ex, stream)
            ex.faults.silence(kind="stream")
            gap = take(stream)
            assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
            assert "no frame" in gap.detail
            # Declared dead after silence_timeout without a frame, not before and not at twice
            # that: the gap runs from the last frame to the new socket (a loopback reconnect
            # takes milliseconds; 0.9 s of slack for a loaded machine).
            assert 1000 - 10 <= gap.end - gap.start < 1900
            started(ex, stream, count=2)  # the silenced one is still open on the server
            ex.push_event(event(4))
            assert take(stream).trade_id == 4


def test_live_but_quiet_stream_is_not_reconnected(ex):
    """A socket without events but answering pings is never declared silent."""
    with stream_client(ex, silence_timeout=0.4) as client:
        with client.user_data_stream() as stream:
            started(ex, stream)
            time.sleep(1.2)  # three silence timeouts without any event
            assert stream.reconnects == 0 and stream.get(0) is None


def test_reconnect_retries_with_backoff_and_reports_failures(ex, client):
    """Failed reconnect attempts are reported and retried until the stream is back."""
    errors: list[BaseException] = []
    with client.user_data_stream() as stream:
        stream.on_error(errors.append)
        started(ex, stream)
        ex.faults.error_reply("userDataStream.ping", 503, -1001, "Internal error", times=3)
        ex.faults.drop_connections(kind="stream")
        gap = take(stream)
        assert isinstance(gap, StreamGap) and gap.reason == "reconnect"
        assert [e.code for e in errors] == [-1001, -1001, -1001]
        assert stream.reconnects == 1


# ---------------------------------------------------------------------------- overflow


def test_overflow_drops_the_oldest_and_reports_how_many(ex):
    """With a full queue the oldest messages are dropped and one StreamGap counts them."""
    with stream_client(ex, queue_size=5) as client:
        with client.user_data_stream() as stream:
            started(ex, stream)
            for n in range(20):
                ex.push_event(event(n))
            wait_for(lambda: stream.dropped == 15)
            gap = take(stream)
            assert isinstance(gap, StreamGap) and gap.reason == "overflow"
            assert gap.dropped == 15
            assert (gap.start, gap.end) == (event(0)["E"], event(14)["E"])
            assert [take(stream).trade_id for _ in range(5)] == [15, 16, 17, 18, 19]
            assert stream.get(0) is None


def test_overflow_keeps_notices_in_place(ex):
    """A gap queued before dropped messages is delivered first, then the overflow gap."""
    with stream_client(ex, queue_size=3) as client:
        with client.user_data_stream() as stream:
            started(ex, stream)
            ex.push_event(event(0))
            ex.faults.drop_connections(kind="stream")
            wait_for(lambda: stream.reconnects == 1)
            started(ex, stream)
            for n in range(1, 6):
                ex.push_event(event(n))
            wait_for(lambda: stream.dropped == 3)
            # e0 was dropped before the reconnect gap, e1 and e2 after it.
            items = [take(stream) for _ in range(6)]
            assert [(i.reason, i.dropped) for i in items[:3]] == [
                ("overflow", 1),
                ("reconnect", 0),
                ("overflow", 2),
            ]
            assert [i.trade_id for i in items[3:]] == [3, 4, 5]


def test_slow_callback_never_blocks_the_reader(ex):
    """A blocked callback leaves the socket reading; the backlog overflows into a StreamGap."""
    entered = threading.Event()
    release = threading.Event()
    got: list[Any] = []

    def slow(item: Any) -> None:
        entered.set()
        release.wait(10)
        got.append(item)

    with stream_client(ex, queue_size=10, silence_timeout=0.5) as client:
        with client.user_data_stream() as stream:
            stream.on_any(slow)
            started(ex, stream)
            ex.push_event(event(0))
            assert entered.wait(5)
            for n in range(1, 50):
                ex.push_event(event(n))
            # The first event is held by the callback; of the other 49, 39 are dropped.
            wait_for(lambda: stream.dropped == 39)
            time.sleep(0.8)  # longer than silence_timeout: pings are still answered
            assert stream.reconnects == 0
            release.set()
            wait_for(lambda: len(got) == 12)
    assert got[0].trade_id == 0
    assert isinstance(got[1], StreamGap) and got[1].dropped == 39
    assert [i.trade_id for i in got[2:]] == list(range(40, 50))


# ---------------------------------------------------------------------------- rotation


def test_rotation_is_make_before_break_without_loss_or_duplicates(ex):
    """Rotation opens the new socket first; every event arrives exactly once, without a gap."""
    with stream_client(ex, rotation_interval=0.3) as client:
        with client.user_data_stream() as stream:
            started(ex, stream)
            first = stream.connection
            stop = threading.Event()
            sent: list[int] = []

            def pump() -> None:
                n = 0
                while not stop.is_set() and n < 2000:
                    ex.push_event(event(n))
                    sent.append(n)
                    n += 1
                    time.sleep(0.002)

            pumper = threading.Thread(target=pump)
            pumper.start()
            wait_for(lambda: stream.rotations >= 1, timeout=10)
            stop.set()
            pumper.join()
            got = []
            while len(got) < len(sent):
                item = take(stream)
                assert not isinstance(item, StreamGap)
                got.append(item.trade_id)
            assert got == sent
            assert stream.get(0.2) is None
            assert stream.connection is not first and stream.reconnects == 0
            assert stream.duplicates > 0  # the overlap did deliver copies, which were removed


def test_overlap_keeps_the_first_copy_and_the_order():
    """White-box, the supervisor's overlap: the new socket opens ahead of a lagging old one.

    The old socket leads until it is retired, so events it had not yet read when the new one
    took over still come first (the race behind a once-seen 496/497 swap); then the new
    socket's backlog adds only what the old one never delivered, in order, copies removed."""
    from types import SimpleNamespace

    from binance_usdm_ws._core._supervisor import ACTIVE, Link

    config = ConfigurationWebsocketStreams(rotation_interval=None)
    stream = UserDataStream(None, config, None)  # type: ignore[arg-type]
    sup, slot = stream._supervisor, stream._slot
    old, new = Link("k", 1), Link("k", 2)
    for link in (old, new):
        link.conn = SimpleNamespace(  # type: ignore[assignment]
            closed=False, cause=None, close=lambda timeout: None, last_frame_at=time.monotonic()
        )
    old.state, slot.link = ACTIVE, old
    sup._dedupe(slot, True)
    for n in (101, 102, 103):  # the new socket, registered after event 100 was sent...
        sup._accept(slot, new, event(n))
    sup._accept(slot, old, event(99))  # ...is ahead of the old one, which has not read 100 yet
    assert sup.install(slot, new, None, old, drain=True)
    assert stream.connection is new.conn  # control moves at once; delivery does not
    sup._accept(slot, new, event(104))  # held back
    for n in (100, 101, 102, 103, 104, 105):  # the old socket catches up, and delivers on
        sup._accept(slot, old, event(n))
    sup._accept(slot, new, event(105))
    sup._accept(slot, new, event(106))
    assert sup.retire(slot, old)
    sup._accept(slot, old, event(107))  # a retired socket is ignored
    with slot.lock:
        sup._flush(slot, new)  # the end of the rotation: the backlog follows
    sup._accept(slot, new, event(107))
    got = [stream._take(0, drain=True).trade_id for _ in range(9)]
    assert got == [99, 100, 101, 102, 103, 104, 105, 106, 107] and stream.pending == 0
    assert stream.duplicates == 5  # 101..105 from the new socket


# ---------------------------------------------------------------------------- secrets


def test_logs_never_show_the_full_listen_key(ex, caplog):
    """Through start, drop, expiry and close, no log line contains a whole listenKey."""
    caplog.set_level(logging.DEBUG, logger="binance_usdm_ws")
    with stream_client(ex) as client:
        with client.user_data_stream() as stream:
            started(ex, stream)
            keys = [stream.listen_key]
            ex.faults.drop_connections(kind="stream")
            assert take(stream).reason == "reconnect"
            started(ex, stream)
            ex.clock.advance(61 * 60)
            take(stream)  # listenKeyExpired
            assert take(stream).reason == "listen_key_expired"
            keys.append(stream.listen_key)
            assert repr(stream).startswith(f"<UserDataStream listenKey={keys[1][:4]}…")
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "binance_usdm_ws")
    assert f'"listenKey":"{keys[0][:4]}…"' in text  # frames are logged, masked
    for key in keys:
        assert key and key not in text


# ---------------------------------------------------------------------------- example


def test_example_runs_against_the_local_exchange():
    """examples/user_data_stream.py --local prints the demo order's events and closes."""
    example = Path(__file__).resolve().parents[1] / "examples" / "user_data_stream.py"
    for form in ([], ["--callbacks"]):
        done = subprocess.run(
            [sys.executable, str(example), "--local", "--seconds", "0.5", *form],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "order  BTCUSDT BUY MARKET FILLED" in done.stdout
        assert done.stdout.rstrip().endswith("threads joined")
