"""No SDK thread outlives the way the user closes: every documented close path ends them all.

conftest's autouse ``no_thread_leak`` checks the end of every test too; these tests check the
moment right after each close path, before the client or the exchange is cleaned up.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
    ConfigurationWebsocketApi,
    ConfigurationWebsocketStreams,
    OrderTradeUpdate,
    RequestTimeout,
)
from binance_usdm_ws._core._scheduler import Scheduler
from binance_usdm_ws.enums import OrderType, Side
from binance_usdm_ws.testing import LocalExchange

from .conftest import wait_until

TIMER = "binance-usdm-ws-timer"


def sdk_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("binance-usdm-ws")]


def no_sdk_thread() -> bool:
    return not sdk_threads()


def all_ended() -> None:
    """Right after a close: the timer thread is already joined; then every thread ends."""
    assert TIMER not in sdk_threads()
    wait_until(no_sdk_thread)


@pytest.fixture
def ex() -> Iterator[LocalExchange]:
    with LocalExchange(quiet=True) as exchange:
        yield exchange


def new_client(ex: LocalExchange, **api: Any) -> BinanceDerivativesTradingUsdsFuturesClient:
    options: dict[str, Any] = dict(
        base_path=ex.ws_api_url, api_key=ex.api_key, api_secret=ex.api_secret, timeout=5.0
    )
    options.update(api)
    return BinanceDerivativesTradingUsdsFuturesClient(
        websocket_api=ConfigurationWebsocketApi(**options),
        websocket_streams=ConfigurationWebsocketStreams(base_path=ex.streams_url),
    )


def busy(client: BinanceDerivativesTradingUsdsFuturesClient) -> None:
    """Give the timer thread work (an async call's deadline) and check that it runs."""
    api = client.websocket_api
    assert api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").execute_async().result()
    assert TIMER in sdk_threads()
    assert any(name.endswith("-reader") for name in sdk_threads())


def test_close_websocket_connection_alone_ends_every_thread(ex):
    """The Go connector's way to finish leaves no thread, though client.close() is never called."""
    client = new_client(ex, rotation_interval=3600.0)  # a long timer is pending too
    client.websocket_api.connect()
    busy(client)
    client.websocket_api.close_websocket_connection()
    all_ended()
    client.websocket_api.close_websocket_connection()  # idempotent, and still no thread
    assert no_sdk_thread()


def test_user_data_stream_close_then_close_websocket_connection(ex):
    """A stream with callbacks (delivery, keepalive timer, supervisor), then the WS API."""
    client = new_client(ex)
    client.websocket_api.connect()
    events: list[OrderTradeUpdate] = []
    stream = client.user_data_stream()
    stream.on(OrderTradeUpdate, events.append)
    stream.start()
    (
        client.websocket_api.trade_api.new_order()
        .symbol("BTCUSDT")
        .side(Side.BUY)
        .type(OrderType.MARKET)
        .quantity("0.001")
        .execute()
    )
    wait_until(lambda: events)
    assert any("-supervisor" in name for name in sdk_threads())
    # Daemon threads, every one: a script that forgets close() still exits.
    assert all(t.daemon for t in threading.enumerate() if t.name.startswith("binance-usdm-ws"))
    assert TIMER in sdk_threads()  # the keepalive timer
    stream.close()
    # The stream's threads are gone; the WS API is still open and usable.
    wait_until(lambda: not any("uds" in name for name in sdk_threads()))
    busy(client)
    client.websocket_api.close_websocket_connection()
    all_ended()


def test_open_stream_keeps_the_timer_until_it_closes(ex):
    """close_websocket_connection() does not end the timer a still-open stream relies on."""
    client = new_client(ex)
    client.websocket_api.connect()
    stream = client.user_data_stream().start()
    client.websocket_api.close_websocket_connection()
    assert TIMER in sdk_threads()
    assert not stream.closed
    stream.close()  # its userDataStream.stop fails (WS API closed): logged, not raised
    all_ended()


def test_client_close_ends_every_thread(ex):
    client = new_client(ex)
    client.websocket_api.connect()
    client.user_data_stream().start()
    busy(client)
    client.close()
    all_ended()


def test_with_block_exit_ends_every_thread(ex):
    with new_client(ex) as client:
        with client.user_data_stream():
            busy(client)
    all_ended()


def test_connect_again_after_close_websocket_connection(ex):
    """The timer thread starts again on demand: a reconnected client's timers still fire."""
    client = new_client(ex, timeout=0.5)
    api = client.websocket_api
    api.connect()
    busy(client)
    api.close_websocket_connection()
    all_ended()
    api.connect()
    assert api.connected
    ex.faults.never_reply("ticker.price")
    future = api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").execute_async()
    assert TIMER in sdk_threads()
    with pytest.raises(RequestTimeout):  # raised by the new timer thread's deadline sweep
        future.result(timeout=30)
    api.close_websocket_connection()
    all_ended()


@pytest.mark.parametrize("policy", [{"reconnect": False}, {"reconnect_attempts": 1}])
def test_connection_that_gave_up_leaves_no_thread(ex, policy):
    """Lost for good (no reconnect, or attempts exhausted): nothing is left to serve."""
    client = new_client(ex, reconnect_delay=0.01, rotation_interval=3600.0, **policy)
    api = client.websocket_api
    api.connect()
    busy(client)
    if "reconnect_attempts" in policy:
        ex.stop()  # the reconnect attempt fails too
    else:
        ex.faults.drop_connections("api")
    wait_until(no_sdk_thread)  # without close(): the connection is down
    assert not api.connected
    if "reconnect_attempts" not in policy:
        api.connect()  # and it can connect again, with a working timer thread
        busy(client)
        api.close_websocket_connection()
        all_ended()


def test_closed_and_abandoned_client_is_garbage_collected(ex):
    """Nothing of the SDK (no thread) keeps a client alive once its connection is closed."""
    client = new_client(ex)
    client.websocket_api.connect()
    busy(client)
    client.websocket_api.close_websocket_connection()
    ref = weakref.ref(client)
    del client
    gc.collect()
    assert ref() is None
    wait_until(no_sdk_thread)


def test_scheduler_thread_ends_when_idle_and_restarts_on_demand():
    scheduler = Scheduler(name="binance-usdm-ws-timer-test")
    owner = object()
    scheduler.attach(owner)
    fired = threading.Event()
    scheduler.call_later(0, fired.set)
    assert fired.wait(5)
    assert scheduler.running  # an attached owner keeps it, though no timer is pending
    scheduler.detach(owner)
    wait_until(lambda: not scheduler.running)
    again = threading.Event()
    scheduler.call_later(0, again.set)  # no owner: it serves the timer, then ends
    assert again.wait(5)
    wait_until(lambda: not scheduler.running)
    scheduler.close()
    assert scheduler.call_later(0, fired.set).cancelled  # closed for good


def test_detach_cancels_the_owners_timers():
    """A detached owner's pending calls are dropped, and the thread ends at once."""

    class Owner:
        calls = 0

        def tick(self) -> None:
            self.calls += 1

    scheduler = Scheduler(name="binance-usdm-ws-timer-test")
    owner = Owner()
    scheduler.attach(owner)
    handle = scheduler.call_later(3600, owner.tick)
    assert scheduler.running
    scheduler.detach(owner)
    assert handle.cancelled
    wait_until(lambda: not scheduler.running)
    assert owner.calls == 0
    scheduler.close()
