"""Leader/follower: a caller waiting in execute() reads the socket itself while nobody else does.

Exactly one thread reads at any moment (the reader thread or one leading caller); these tests
mix leading callers, followers, pipelined async calls and server pings over real sockets, and
inject the faults that must still end a leading caller's wait: a drop, a timeout, a close from
another thread, a silent server, a close from a callback run by the leader itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest

from binance_usdm_ws import (
    BinanceDerivativesTradingUsdsFuturesClient,
)
from binance_usdm_ws.errors import ConnectionClosed, RequestTimeout
from binance_usdm_ws.testing import LocalExchange

from .conftest import wait_until, ws_api_client

METHOD = "ticker.price"


@pytest.fixture
def pinging() -> Iterator[LocalExchange]:
    """An exchange that pings every 50 ms and drops a client that leaves one unanswered 1 s."""
    with LocalExchange(quiet=True, ping_interval=0.05, ping_timeout=1.0) as ex:
        yield ex


def connect(ex: LocalExchange, **overrides: Any) -> BinanceDerivativesTradingUsdsFuturesClient:
    client = ws_api_client(ex, **overrides)
    client.websocket_api.connect()
    return client


def ticker(client: BinanceDerivativesTradingUsdsFuturesClient, rid: str) -> Any:
    return client.websocket_api.market_data_api.symbol_price_ticker().symbol("BTCUSDT").id(rid)


def test_a_lone_caller_leads_and_answers_pings_meanwhile(pinging):
    """A call that waits 2.5 s reads its own reply; the server's pings are answered meanwhile."""
    client = connect(pinging, heartbeat_interval=None)  # only our pongs keep it alive
    try:
        conn = client.websocket_api.connection
        pinging.faults.delay(METHOD, 2.5)  # longer than two ping timeouts
        response = ticker(client, "slow").execute()
        assert response.id == "slow"
        assert conn.leads >= 1
        assert client.websocket_api.connection is conn  # never dropped for a missing pong
        assert client.websocket_api.reconnects == 0
    finally:
        client.close()


def test_many_threads_pipelined_calls_and_pings_lose_nothing(pinging):
    """Sync callers in 8 threads, async bursts and server pings: every reply reaches its caller."""
    client = connect(pinging)
    try:
        conn = client.websocket_api.connection
        errors: list[BaseException] = []
        futures: list[tuple[str, Future[Any]]] = []
        lock = threading.Lock()

        def sync_worker(n: int) -> None:
            try:
                for i in range(60):
                    rid = f"s{n}-{i}"
                    assert ticker(client, rid).execute().id == rid
            except BaseException as exc:  # reported below, with the thread's name
                errors.append(exc)

        def async_worker(n: int) -> None:
            for i in range(150):
                rid = f"a{n}-{i}"
                future = ticker(client, rid).execute_async()
                with lock:
                    futures.append((rid, future))

        threads = [threading.Thread(target=sync_worker, args=(n,)) for n in range(8)]
        threads += [threading.Thread(target=async_worker, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
            assert not t.is_alive()
        assert errors == []
        assert len(futures) == 300
        for rid, future in futures:
            assert future.result(10).id == rid
        assert conn.leads > 0  # callers did lead...
        assert conn.unknown_replies == 0  # ...and no reply went astray
        assert client.websocket_api.connection is conn
    finally:
        client.close()


def test_drop_while_a_caller_leads_fails_every_waiter_at_once(make_client, exchange):
    """A leader, followers and async calls all fail with ConnectionClosed when the socket drops."""
    client = make_client(timeout=None)
    conn = client.websocket_api.connection
    exchange.faults.never_reply(METHOD)
    outcomes: list[BaseException] = []

    def call(rid: str) -> None:
        try:
            ticker(client, rid).execute()
        except BaseException as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=call, args=(f"c{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    futures = [ticker(client, f"f{n}").execute_async() for n in range(10)]
    wait_until(lambda: conn.pending_count == 14)
    assert conn.leads >= 1
    exchange.faults.drop_connections()
    for t in threads:
        t.join(10)
        assert not t.is_alive()
    assert len(outcomes) == 4
    assert all(isinstance(exc, ConnectionClosed) for exc in outcomes)
    for future in futures:
        assert isinstance(future.exception(10), ConnectionClosed)
    exchange.faults.reset()
    wait_until(lambda: client.websocket_api.connected)
    assert ticker(client, "after").execute().id == "after"


def test_timeout_while_leading_keeps_the_late_reply_from_others(make_client, exchange):
    """A leader that times out gives the token back; its late reply is dropped, not handed on."""
    client = make_client()
    conn = client.websocket_api.connection
    exchange.faults.delay(METHOD, 0.4)
    leads = conn.leads
    with pytest.raises(RequestTimeout):
        ticker(client, "late").execute(timeout=0.05)
    assert conn.leads == leads + 1
    exchange.faults.reset()
    # The next caller waits while the late reply arrives; it gets its own reply only.
    exchange.faults.delay(METHOD, 0.6)
    assert ticker(client, "next").execute().id == "next"
    assert conn.unknown_replies == 1
    assert client.websocket_api.connection is conn


@pytest.mark.parametrize("server_answers_close", [True, False])
def test_close_from_another_thread_wakes_a_leading_caller(
    make_client, exchange, server_answers_close
):
    """close_websocket_connection() ends a leader's wait, even when the server never answers."""
    client = make_client(timeout=None, close_timeout=0.2)
    conn = client.websocket_api.connection
    exchange.faults.never_reply(METHOD)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            ticker(client, "wait").execute()
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    wait_until(lambda: conn.pending_count == 1 and conn.leads == 1)
    if not server_answers_close:
        exchange.faults.silence()  # the close frame is never answered: shut down after 0.2 s
    client.websocket_api.close_websocket_connection()
    thread.join(10)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], ConnectionClosed)
    assert conn.closed


def test_heartbeat_ends_a_leading_callers_wait_on_a_silent_server(make_client, exchange):
    """A half-open connection is detected while a caller leads: the call fails, then reconnects."""
    client = make_client(timeout=None, heartbeat_interval=0.1, heartbeat_timeout=0.2)
    conn = client.websocket_api.connection
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            ticker(client, "silent").execute()
        except BaseException as exc:
            outcome.append(exc)

    exchange.faults.silence()
    thread = threading.Thread(target=call)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], ConnectionClosed)
    assert conn.leads >= 1
    wait_until(
        lambda: client.websocket_api.connected and client.websocket_api.connection is not conn
    )
    assert ticker(client, "again").execute().id == "again"


def test_a_callback_run_by_the_leader_may_close_the_connection(make_client, exchange):
    """A done callback that closes, run in the leading caller's thread, does not deadlock: the
    close knows it runs in the thread that reads, so it does not wait for that thread (with
    ``close_timeout=None`` such a wait would never end)."""
    client = make_client(timeout=5.0, close_timeout=None)
    conn = client.websocket_api.connection
    exchange.faults.delay("ticker.book", 0.3)
    exchange.faults.never_reply(METHOD)
    closed_in: list[str] = []

    def close_now(_: Future[Any]) -> None:
        closed_in.append(threading.current_thread().name)
        client.websocket_api.close_websocket_connection()

    book = client.websocket_api.market_data_api.symbol_order_book_ticker().symbol("BTCUSDT")
    book.execute_async().add_done_callback(close_now)
    with pytest.raises(ConnectionClosed):
        ticker(client, "second").execute()  # leads, reads "first" and runs the callback
    assert closed_in == [threading.current_thread().name]
    assert conn.leads >= 1
    assert conn.wait_closed(5)


def test_settled_async_calls_are_not_kept_until_the_sweep(make_client):
    """The deadline queue drops answered calls as new ones come, instead of keeping them all."""
    client = make_client(timeout=30.0)  # the sweep would come only after 30 s
    api = client.websocket_api
    for n in range(10):
        futures = [ticker(client, f"k{n}-{i}").execute_async() for i in range(50)]
        for future in futures:
            future.result(10)
    ticker(client, "last").execute_async().result(10)
    assert len(api._deadlines) <= 51  # at most one burst and the last call, not all 501


def test_replies_read_with_the_leaders_own_are_delivered_before_it_returns():
    """A reply that came in one read with the leader's own reply is handed on, not stranded.

    The exchange holds two replies and sends them back to back, the leader's first; with no
    pings and no heartbeat nothing else arrives that would make the reader look again. Done
    many times, so that the two replies often share one read.
    """
    with LocalExchange(quiet=True, ping_interval=None) as ex:
        client = connect(ex, heartbeat_interval=None, timeout=3.0)
        try:
            conn = client.websocket_api.connection
            for i in range(30):
                ex.faults.reorder(2)
                other = ticker(client, f"other{i}").execute_async()
                assert ticker(client, f"lead{i}").execute().id == f"lead{i}"  # answered first
                assert other.result(10).id == f"other{i}"
            assert conn.leads >= 30
        finally:
            client.close()
